using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Npgsql;
using SalesAuto.Core.RetryQueue;
using SalesAuto.Core.Tests.Infrastructure;
using SalesAuto.Core.Tests.RetryQueue;
using StackExchange.Redis;

namespace SalesAuto.Core.Tests.Resilience;

/// <summary>
/// A dependency that is stalled, not dead: its processes are stopped with SIGSTOP, so connections
/// stay open and nothing answers (a partition, a frozen failover). Each test stalls a private
/// instance of its own and asserts on what SalesAuto decided: every delivery is answered 503 with
/// Retry-After (never a 200 for an event that was not stored), the health check answers, the
/// breaker's state is published, and after SIGCONT the same deliveries are stored exactly once.
/// Time is asserted only against generous bounds (the setting is 1 s; the bound is 15 s).
/// </summary>
public sealed partial class StalledDependencyTests
{
    private const string Token = "lemlist-token-for-stall-tests";

    // Far above Resilience:AttemptTimeout (1 s) and far below the client libraries' own timeouts
    // plus a stall that never ends: an answer within it can only come from the bound.
    private static readonly TimeSpan AnswerBound = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Webhooks_Answer503WithRetryAfterAndHealthAnswers_WhilePostgresIsStalled_AndAreStoredOnceAfterwards()
    {
        await using var postgres = await PrivatePostgresServer.StartAsync(TestContext.Token);
        await using var server = await RunningServer.StartAsync(Settings(postgres.ConnectionString, TestEnvironment.RedisConnectionString));
        var campaign = NewId("cam");
        using (var enrolled = await server.Admin.PostAsync("/api/enrollments", RunningServer.Json($$"""{"campaignId":"{{campaign}}","email":"ann@example.com"}"""), TestContext.Token))
        {
            Assert.Equal(HttpStatusCode.Created, enrolled.StatusCode);
        }

        var events = Enumerable.Range(0, 8).Select(i => $"act_{campaign}_{i}").ToList();
        var acknowledged = new HashSet<string>();
        Assert.Equal(HttpStatusCode.OK, (await DeliverAsync(server, campaign, events[0])).Status);
        acknowledged.Add(events[0]);

        await postgres.StallAsync(TestContext.Token);
        try
        {
            var during = await Task.WhenAll(events.Skip(1).Select(id => DeliverAsync(server, campaign, id)));
            foreach (var answer in during)
            {
                Assert.True(answer.Elapsed < AnswerBound, $"a delivery took {answer.Elapsed} while Postgres was stalled");
                Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.Status);
                Assert.Equal("application/problem+json; charset=utf-8", answer.ContentType);
                Assert.True(answer.RetryAfterSeconds is >= 1 and <= 2, $"Retry-After {answer.RetryAfterSeconds}, want the breaker's break duration (2 s) or what is left of it");
            }

            // Enough calls failed: the breaker is open, and says so in the metrics and the health report.
            var health = await GetHealthAsync(server);
            Assert.True(health.Elapsed < AnswerBound, $"GET /api/health took {health.Elapsed} while Postgres was stalled");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, health.Status);
            Assert.Equal("unhealthy", health.Body.GetProperty("status").GetString());
            var component = health.Body.GetProperty("components").GetProperty("postgres");
            Assert.Equal("unhealthy", component.GetProperty("status").GetString());
            Assert.Matches("no answer within 1 s|circuit breaker open", component.GetProperty("error").GetString()!);
            Assert.Equal("healthy", health.Body.GetProperty("components").GetProperty("redis").GetString("status"));

            var metrics = await ScrapeAsync(server);
            Assert.Equal(2, Sample(metrics, "salesauto_circuit_state", """dependency="postgres" """.Trim()));
            Assert.True(Sample(metrics, "salesauto_circuit_transitions_total", """dependency="postgres",state="open" """.Trim()) >= 1);
            Assert.Equal(0, Sample(metrics, "salesauto_circuit_state", """dependency="redis" """.Trim()));

            // Once open, refused at once: a delivery now is answered 503 without waiting for Postgres.
            var refused = await DeliverAsync(server, campaign, events[1]);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.Status);
            Assert.NotNull(refused.RetryAfterSeconds);
        }
        finally
        {
            await postgres.ResumeAsync(TestContext.Token);
        }

        // The provider delivers again until it gets a 200; the breaker's probe closes it.
        await RedeliverUntilAcknowledgedAsync(server, campaign, events.Skip(1), acknowledged);
        var after = await ScrapeAsync(server);
        Assert.Equal(0, Sample(after, "salesauto_circuit_state", """dependency="postgres" """.Trim()));
        Assert.True(Sample(after, "salesauto_circuit_transitions_total", """dependency="postgres",state="closed" """.Trim()) >= 1);

        await using var connection = new NpgsqlConnection(postgres.ConnectionString);
        await connection.OpenAsync(TestContext.Token);
        await using var command = new NpgsqlCommand("select event_id, count(*) from campaign_events where campaign_id = @c group by event_id", connection);
        command.Parameters.AddWithValue("c", campaign);
        var stored = new Dictionary<string, long>();
        await using (var reader = await command.ExecuteReaderAsync(TestContext.Token))
        {
            while (await reader.ReadAsync(TestContext.Token))
            {
                stored[reader.GetString(0)] = reader.GetInt64(1);
            }
        }

        Assert.Equal(events.Order(), stored.Keys.Order());
        Assert.All(stored.Values, count => Assert.Equal(1, count));
        Assert.Equal(events.Order(), acknowledged.Order());
    }

    [Fact]
    public async Task Orphans_Answer503WithRetryAfterAndHealthIsDegraded_WhileRedisIsStalled_AndAreParkedOnceAfterwards()
    {
        await using var schema = new PostgresSchema("stall");
        await schema.InitializeAsync();
        await using var redis = await PrivateRedisServer.StartAsync(TestContext.Token);
        var prefix = TestEnvironment.UniqueName("stall") + ":";
        var settings = Settings(schema.ConnectionString, redis.ConnectionString);
        settings["RetryQueue:KeyPrefix"] = prefix;
        await using var server = await RunningServer.StartAsync(settings);
        var campaign = NewId("cam");
        var orphans = Enumerable.Range(0, 8).Select(i => $"act_{campaign}_{i}").ToList();
        var acknowledged = new HashSet<string>();

        await redis.StallAsync(TestContext.Token);
        try
        {
            var during = await Task.WhenAll(orphans.Select(id => DeliverAsync(server, campaign, id)));
            foreach (var answer in during)
            {
                Assert.True(answer.Elapsed < AnswerBound, $"a delivery took {answer.Elapsed} while Redis was stalled");
                Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.Status);
                Assert.True(answer.RetryAfterSeconds is >= 1 and <= 2, $"Retry-After {answer.RetryAfterSeconds}, want the breaker's break duration (2 s) or what is left of it");
            }

            var health = await GetHealthAsync(server);
            Assert.True(health.Elapsed < AnswerBound, $"GET /api/health took {health.Elapsed} while Redis was stalled");
            Assert.Equal(HttpStatusCode.OK, health.Status);
            Assert.Equal("degraded", health.Body.GetProperty("status").GetString());
            Assert.Equal("degraded", health.Body.GetProperty("components").GetProperty("redis").GetString("status"));
            Assert.Equal("healthy", health.Body.GetProperty("components").GetProperty("postgres").GetString("status"));

            var metrics = await ScrapeAsync(server);
            Assert.Equal(2, Sample(metrics, "salesauto_circuit_state", """dependency="redis" """.Trim()));
            Assert.Equal(0, Sample(metrics, "salesauto_circuit_state", """dependency="postgres" """.Trim()));
        }
        finally
        {
            await redis.ResumeAsync(TestContext.Token);
        }

        await RedeliverUntilAcknowledgedAsync(server, campaign, orphans, acknowledged);
        Assert.Equal(0, Sample(await ScrapeAsync(server), "salesauto_circuit_state", """dependency="redis" """.Trim()));

        // Each orphan is parked exactly once (enqueue is idempotent per event, whatever the redeliveries).
        await using var client = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var parked = await client.GetDatabase().SortedSetRangeByRankAsync(new RetryQueueKeys(prefix).Due);
        Assert.Equal(orphans.Select(id => $"lemlist\n{id}").Order(), parked.Select(p => (string)p!).Order());
        Assert.Equal(orphans.Order(), acknowledged.Order());
    }

    private static Dictionary<string, string?> Settings(string postgres, string redis)
    {
        var settings = RunningServer.DefaultSettings(postgres, TestEnvironment.UniqueName("stall") + ":");
        settings["ConnectionStrings:Redis"] = redis;
        settings["Webhooks:Sources:lemlist:Kind"] = "Lemlist";
        settings["Webhooks:Sources:lemlist:Secrets:0"] = Token;
        settings["Resilience:AttemptTimeout"] = "00:00:01";
        settings["Resilience:BreakDuration"] = "00:00:02";
        settings["Resilience:MinimumThroughput"] = "2";
        settings["Resilience:SamplingDuration"] = "00:00:30";
        return settings;
    }

    private static async Task<Answer> DeliverAsync(RunningServer server, string campaign, string eventId)
    {
        var watch = Stopwatch.StartNew();
        using var response = await server.Client.PostAsync(
            $"/api/webhooks/lemlist?token={Token}",
            RunningServer.Json($$"""{"_id":"{{eventId}}","type":"emailsOpened","campaignId":"{{campaign}}","leadEmail":"ann@example.com","createdAt":"2026-11-23T10:00:00Z"}"""),
            TestContext.Token);
        var elapsed = watch.Elapsed;
        var retryAfter = response.Headers.RetryAfter?.Delta is { } delta ? (int?)delta.TotalSeconds : null;
        return new Answer(response.StatusCode, response.Content.Headers.ContentType?.ToString(), retryAfter, elapsed);
    }

    // A provider's redelivery: every event again until it is acknowledged, within a generous deadline.
    private static async Task RedeliverUntilAcknowledgedAsync(RunningServer server, string campaign, IEnumerable<string> events, HashSet<string> acknowledged)
    {
        var deadline = Stopwatch.StartNew();
        var pending = events.Where(e => !acknowledged.Contains(e)).ToList();
        while (pending.Count > 0)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), $"{pending.Count} deliveries still refused 60 s after the dependency was thawed");
            foreach (var eventId in pending.ToList())
            {
                var answer = await DeliverAsync(server, campaign, eventId);
                if (answer.Status == HttpStatusCode.OK)
                {
                    acknowledged.Add(eventId);
                    pending.Remove(eventId);
                }
                else
                {
                    Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.Status);
                }
            }

            if (pending.Count > 0)
            {
                await Task.Delay(200, TestContext.Token);
            }
        }
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body, TimeSpan Elapsed)> GetHealthAsync(RunningServer server)
    {
        var watch = Stopwatch.StartNew();
        using var response = await server.Client.GetAsync("/api/health", TestContext.Token);
        var elapsed = watch.Elapsed;
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Token)).RootElement.Clone();
        return (response.StatusCode, body, elapsed);
    }

    private static async Task<string> ScrapeAsync(RunningServer server)
    {
        using var response = await server.Client.GetAsync("/api/metrics", TestContext.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync(TestContext.Token);
    }

    /// <summary>The value of one series in a Prometheus text exposition.</summary>
    internal static double Sample(string exposition, string name, string labels)
    {
        var match = Regex.Match(exposition, $"^{Regex.Escape(name)}\\{{{Regex.Escape(labels)}\\}} (\\S+)$", RegexOptions.Multiline);
        Assert.True(match.Success, $"no sample {name}{{{labels}}} in the exposition");
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    private static string NewId(string stem) => $"{stem}_{Guid.NewGuid():N}";

    private sealed record Answer(HttpStatusCode Status, string? ContentType, int? RetryAfterSeconds, TimeSpan Elapsed);
}

internal static class JsonElementExtensions
{
    public static string? GetString(this JsonElement element, string property) => element.GetProperty(property).GetString();
}
