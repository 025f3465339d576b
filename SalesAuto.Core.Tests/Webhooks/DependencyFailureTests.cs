using System.Net;
using SalesAuto.Core.Tests.Infrastructure;

namespace SalesAuto.Core.Tests.Webhooks;

/// <summary>When Postgres or Redis cannot take an event, the answer is 503 with Retry-After, never a 200 for an event stored nowhere, never a 500.</summary>
public sealed class DependencyFailureTests(PostgresSchema schema) : IClassFixture<PostgresSchema>
{
    private const string Token = "lemlist-token-dependency-tests";

    [Fact]
    public async Task Webhook_Is503WithRetryAfter_WhenOrphansCannotBeParkedBecauseRedisIsDown_ButStoresWhatHasAnEnrollment()
    {
        var settings = Settings(schema.ConnectionString);
        settings["ConnectionStrings:Redis"] = $"127.0.0.1:{TestEnvironment.ClosedPort()},abortConnect=false,connectTimeout=300,syncTimeout=500,asyncTimeout=500";
        await using var server = await RunningServer.StartAsync(settings);
        var campaign = $"cam_{Guid.NewGuid():N}";
        using (var enrolled = await server.Admin.PostAsync("/api/enrollments", RunningServer.Json($$"""{"campaignId":"{{campaign}}","email":"here@example.com"}"""), TestContext.Token))
        {
            // Stored; its orphans could not be released now ("released": null), they are retried on schedule.
            Assert.Equal(HttpStatusCode.Created, enrolled.StatusCode);
        }

        using var known = await PostAsync(server, Activity(campaign, "here@example.com"));
        using var orphan = await PostAsync(server, Activity(campaign, "absent@example.com"));

        Assert.Equal(HttpStatusCode.OK, known.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, orphan.StatusCode);
        Assert.NotNull(orphan.Headers.RetryAfter);
        Assert.Equal("application/problem+json", orphan.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Webhook_Is503_WhenTheQueueIsFull_AndNothingIsDropped()
    {
        var settings = Settings(schema.ConnectionString);
        settings["RetryQueue:MaxLength"] = "2";
        await using var server = await RunningServer.StartAsync(settings);
        var campaign = $"cam_{Guid.NewGuid():N}";

        using var first = await PostAsync(server, Activity(campaign, "a@example.com"));
        using var second = await PostAsync(server, Activity(campaign, "b@example.com"));
        using var third = await PostAsync(server, Activity(campaign, "c@example.com"));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, third.StatusCode);
        Assert.NotNull(third.Headers.RetryAfter);
        var depth = await server.Services.GetRequiredService<SalesAuto.Core.RetryQueue.IRetryQueue>().GetDepthAsync(TestContext.Token);
        Assert.Equal(2, depth.Due);
    }

    [Fact]
    public async Task EveryRoute_Is503NotA500_WhenPostgresIsDown()
    {
        var settings = Settings($"Host=127.0.0.1;Port={TestEnvironment.ClosedPort()};Username=x;Password=y;Timeout=2");
        settings["Postgres:MigrateOnStart"] = "false";
        await using var server = await RunningServer.StartAsync(settings);

        using var webhook = await PostAsync(server, Activity("cam_x", "a@example.com"));
        using var enrollment = await server.Admin.PostAsync("/api/enrollments", RunningServer.Json("""{"campaignId":"c","email":"a@example.com"}"""), TestContext.Token);
        using var stats = await server.Admin.GetAsync("/api/campaigns/c/stats", TestContext.Token);
        using var list = await server.Admin.GetAsync("/api/dlq", TestContext.Token);
        using var one = await server.Admin.GetAsync($"/api/dlq/{Guid.NewGuid()}", TestContext.Token);
        using var dlqStats = await server.Admin.GetAsync("/api/dlq/stats", TestContext.Token);
        using var replay = await server.Admin.PostAsync("/api/dlq/replay", RunningServer.Json($$"""{"ids":["{{Guid.NewGuid()}}"]}"""), TestContext.Token);
        using var ignore = await server.Admin.PostAsync("/api/dlq/ignore", RunningServer.Json($$"""{"ids":["{{Guid.NewGuid()}}"]}"""), TestContext.Token);

        foreach (var response in new[] { webhook, enrollment, stats, list, one, dlqStats, replay, ignore })
        {
            Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{response.RequestMessage?.RequestUri}: {(int)response.StatusCode}");
            Assert.NotNull(response.Headers.RetryAfter);
        }
    }

    private static Dictionary<string, string?> Settings(string postgres)
    {
        var settings = RunningServer.DefaultSettings(postgres, TestEnvironment.UniqueName("dep") + ":");
        settings["Webhooks:Sources:lemlist:Kind"] = "Lemlist";
        settings["Webhooks:Sources:lemlist:Secrets:0"] = Token;
        return settings;
    }

    private static Task<HttpResponseMessage> PostAsync(RunningServer server, string body) =>
        server.Client.PostAsync($"/api/webhooks/lemlist?token={Token}", RunningServer.Json(body), TestContext.Token);

    private static string Activity(string campaign, string email) =>
        $$"""{"_id":"act_{{Guid.NewGuid():N}}","type":"emailsSent","createdAt":"2026-11-23T10:15:02Z","campaignId":"{{campaign}}","leadEmail":"{{email}}"}""";
}
