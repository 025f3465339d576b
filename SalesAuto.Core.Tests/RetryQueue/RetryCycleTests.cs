using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SalesAuto.Core.Observability;
using SalesAuto.Core.Redis;
using StackExchange.Redis;
using SalesAuto.Core.Events;
using SalesAuto.Core.Http;
using SalesAuto.Core.RetryQueue;
using SalesAuto.Core.Tests.Infrastructure;

namespace SalesAuto.Core.Tests.RetryQueue;

/// <summary>Short delays so that a whole retry schedule runs in about a second.</summary>
public class FastRetryFixture : ServerFixture
{
    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["RetryQueue:Delays"] = "00:00:00.100,00:00:00.200,00:00:00.300";
        settings["RetryQueue:MaxAttempts"] = "3";
        settings["RetryQueue:JitterMax"] = "00:00:00";
        settings["RetryQueue:Schedule"] = "*/1 * * * * *";
        settings["RetryQueue:BatchSize"] = "200";
        settings["RetryQueue:Lease"] = "00:00:05";
        settings["Webhooks:Sources:lemlist:Kind"] = "Lemlist";
        settings["Webhooks:Sources:lemlist:Secrets:0"] = "lemlist-token-for-cycle-tests";
    }
}

/// <summary>The retry cycle on a single Redis and on a Redis Cluster (subclasses in RetryQueueClusterTests.cs).</summary>
public abstract class RetryCycleTests(FastRetryFixture fixture)
{
    private RunningServer Server => fixture.Server;

    private RetryCycle Cycle => Server.Services.GetRequiredService<RetryCycle>();

    private IRetryQueue Queue => Server.Services.GetRequiredService<IRetryQueue>();

    [Fact]
    public async Task Orphan_IsApplied_WhenItsEnrollmentArrives()
    {
        var campaign = NewId("cam");
        using var webhook = await Server.Client.PostAsync(
            "/api/webhooks/lemlist?token=lemlist-token-for-cycle-tests",
            RunningServer.Json($$"""{"_id":"{{NewId("act")}}","type":"emailsReplied","campaignId":"{{campaign}}","leadEmail":"late@example.com","createdAt":"2026-11-23T10:00:00Z"}"""),
            TestContext.Token);
        Assert.Equal(1, (await ReadJsonAsync(webhook)).GetProperty("orphaned").GetInt32());
        // A second orphan parked for an hour: only the enrollment can make it due, so "released" is exact.
        var parked = new OrphanItem(new CanonicalEvent("lemlist", NewId("act"), "email.clicked", DateTimeOffset.UtcNow, campaign, "late@example.com", null, "{}"), 0, DateTimeOffset.UtcNow);
        await Queue.EnqueueAsync([(parked, TimeSpan.FromHours(1))], TestContext.Token);

        // The enrollment call applies both itself (BatchSize 200): the stats are right when it returns.
        using var enrolled = await Server.Admin.PostAsync("/api/enrollments", RunningServer.Json($$"""{"campaignId":"{{campaign}}","email":"late@example.com"}"""), TestContext.Token);
        var answer = await ReadJsonAsync(enrolled);

        Assert.Equal(2, answer.GetProperty("released").GetInt32());
        Assert.Equal(2, answer.GetProperty("applied").GetInt32());
        using var stats = await Server.Admin.GetAsync($"/api/campaigns/{campaign}/stats", TestContext.Token);
        var events = (await ReadJsonAsync(stats)).GetProperty("events");
        Assert.Equal(1, events.GetProperty("email.replied").GetInt32());
        Assert.Equal(1, events.GetProperty("email.clicked").GetInt32());
    }

    [Fact]
    public async Task Orphan_BecomesDeadLetter_AfterExactlyMaxAttempts_WithTheScheduledDelays()
    {
        // Asserts on what the queue decided, on the queue's own clock (Redis TIME): each due time it
        // stored is the delay after the moment it rescheduled, and no attempt was made before the
        // item was due. The client's clock is never compared with Redis's, so a cycle that returns
        // late on a busy machine cannot make the test fail.
        var delays = new[] { 100, 200, 300 };
        var orphan = new OrphanItem(new CanonicalEvent("lemlist", NewId("act"), "email.opened", DateTimeOffset.UtcNow, NewId("cam"), "ghost@example.com", null, "{\"x\":1}"), 0, DateTimeOffset.UtcNow);
        var keys = new RetryQueueKeys(fixture.KeyPrefix);
        var redis = Server.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();

        var beforeEnqueue = await RedisNowAsync(redis);
        await Queue.EnqueueAsync([(orphan, TimeSpan.FromMilliseconds(delays[0]))], TestContext.Token);
        var afterEnqueue = await RedisNowAsync(redis);
        var due = (long)(await redis.SortedSetScoreAsync(keys.Due, orphan.Id))!.Value;
        AssertScheduled(1, due, beforeEnqueue, afterEnqueue, delays[0]);

        var attempts = 0;
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(30);
        while (attempts < delays.Length)
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, $"only {attempts} of {delays.Length} attempts were made within 30 s");
            var before = await RedisNowAsync(redis);
            var result = await Cycle.RunAsync(TestContext.Token);
            var after = await RedisNowAsync(redis);
            var stored = await redis.HashGetAsync(keys.Items, orphan.Id);
            var attemptsNow = stored.IsNull
                ? delays.Length // gone from Redis: dead-lettered by this cycle
                : JsonSerializer.Deserialize<OrphanItem>((string)stored!, JsonDefaults.Options)!.Attempts;
            if (attemptsNow == attempts)
            {
                await Task.Delay(20, TestContext.Token); // polling interval, not a margin: nothing below depends on it
                continue;
            }

            Assert.True(attemptsNow == attempts + 1, $"one cycle made {attemptsNow - attempts} attempts, want 1");
            attempts = attemptsNow;
            // The claim happened inside [before, after]: it may not have come before the item was due.
            Assert.True(after >= due, $"attempt {attempts} was claimed by a cycle that ended at {after} (Redis ms), before the item was due at {due}");
            if (attempts < delays.Length)
            {
                Assert.Equal(1, result.Rescheduled);
                due = (long)(await redis.SortedSetScoreAsync(keys.Due, orphan.Id))!.Value;
                AssertScheduled(attempts + 1, due, before, after, delays[attempts]);
            }
            else
            {
                Assert.Equal(1, result.DeadLettered);
            }
        }

        await using var command = fixture.Schema.DataSource.CreateCommand("select status, attempts, failure_reason, payload->>'x' from dead_letters where event_id = @id");
        command.Parameters.AddWithValue("id", orphan.Event.EventId);
        await using var reader = await command.ExecuteReaderAsync(TestContext.Token);
        Assert.True(await reader.ReadAsync(TestContext.Token), "no dead letter was written");
        Assert.Equal("failed", reader.GetString(0));
        Assert.Equal(3, reader.GetInt32(1));
        Assert.Equal("enrollment not found after 3 attempts", reader.GetString(2));
        Assert.Equal("1", reader.GetString(3));
        Assert.Null(await redis.SortedSetScoreAsync(keys.Due, orphan.Id));
        Assert.Null(await redis.SortedSetScoreAsync(keys.Leases, orphan.Id));
        Assert.False(await redis.HashExistsAsync(keys.Items, orphan.Id));
    }

    private static void AssertScheduled(int attempt, long due, long before, long after, int delayMs) =>
        Assert.True(
            due >= before + delayMs && due <= after + delayMs,
            $"attempt {attempt} was scheduled at {due} (Redis ms), want the {delayMs} ms delay after the scheduling call: between {before + delayMs} and {after + delayMs}");

    private static Task<long> RedisNowAsync(IDatabase redis) => RedisClock.NowAsync(redis);

    [Fact]
    public async Task FourConcurrentCycles_ApplyEachOf5000OrphansExactlyOnce()
    {
        await DrainLeftoversAsync();
        var campaign = NewId("cam");
        const int count = 5000;
        await using (var seed = fixture.Schema.DataSource.CreateCommand(
            $"insert into campaigns (id) values ('{campaign}'); insert into enrollments (campaign_id, email) select '{campaign}', 'lead' || g || '@example.com' from generate_series(1, {count}) g;"))
        {
            await seed.ExecuteNonQueryAsync(TestContext.Token);
        }

        var items = Enumerable.Range(1, count)
            .Select(i => (new OrphanItem(new CanonicalEvent("lemlist", $"bulk-{campaign}-{i}", "email.sent", DateTimeOffset.UtcNow, campaign, $"lead{i}@example.com", null, "{}"), 0, DateTimeOffset.UtcNow), TimeSpan.Zero))
            .ToList();
        foreach (var chunk in items.Chunk(500))
        {
            await Queue.EnqueueAsync(chunk, TestContext.Token);
        }

        // Four cycles as four instances would run them: separate objects, one Redis lock.
        var cycles = Enumerable.Range(0, 4).Select(_ => ActivatorUtilities.CreateInstance<RetryCycle>(Server.Services)).ToList();
        var results = await Task.WhenAll(cycles.Select(cycle => Task.Run(async () =>
        {
            var mine = new List<CycleResult>();
            for (var i = 0; i < 200 && (await Queue.GetDepthAsync(TestContext.Token)).Due > 0; i++)
            {
                mine.Add(await cycle.RunAsync(TestContext.Token));
            }

            return mine;
        })));

        var all = results.SelectMany(r => r).ToList();
        Assert.Equal(count, all.Sum(r => r.Applied));
        Assert.Equal(0, all.Sum(r => r.Duplicates));
        await using var check = fixture.Schema.DataSource.CreateCommand($"select count(*), count(distinct event_id) from campaign_events where campaign_id = '{campaign}'");
        await using var reader = await check.ExecuteReaderAsync(TestContext.Token);
        Assert.True(await reader.ReadAsync(TestContext.Token));
        Assert.Equal(count, reader.GetInt64(0));
        Assert.Equal(count, reader.GetInt64(1));
    }

    [Fact]
    public async Task KilledWorkersItems_AreReclaimedAfterTheLease_AndAppliedOnce()
    {
        var campaign = NewId("cam");
        await EnrollAsync(campaign, "zed@example.com");
        var orphan = new OrphanItem(new CanonicalEvent("lemlist", NewId("act"), "email.opened", DateTimeOffset.UtcNow, campaign, "zed@example.com", null, "{}"), 0, DateTimeOffset.UtcNow);
        var settings = Server.Services.GetRequiredService<IOptions<RetryQueueOptions>>().Value;
        var dying = new RedisRetryQueue(
            Server.Services.GetRequiredService<IConnectionMultiplexer>(),
            Options.Create(new RetryQueueOptions { KeyPrefix = settings.KeyPrefix, Lease = TimeSpan.FromMilliseconds(300), Delays = settings.Delays }),
            new SalesAutoMetrics(),
            NullLogger<RedisRetryQueue>.Instance,
            TestCircuits.Create());
        await Queue.EnqueueAsync([(orphan, TimeSpan.Zero)], TestContext.Token);

        // A worker claims it and dies: never acks, never releases.
        var claimed = (await dying.ClaimAsync(1000, TestContext.Token)).Items;
        var redis = Server.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        var afterClaim = await RedisClock.NowAsync(redis);
        Assert.Contains(claimed, c => c.Item.Id == orphan.Id);
        // The lease ends 300 ms after the claim's own Redis time, which is no later than afterClaim.
        await RedisClock.WaitUntilAsync(redis, afterClaim + 300, TestContext.Token);

        var result = await RunUntilAsync(r => r.Applied > 0);

        Assert.True(result.Reclaimed >= 1);
        Assert.False(await Queue.AckAsync(claimed.Single(c => c.Item.Id == orphan.Id), TestContext.Token));
        await using var count = fixture.Schema.DataSource.CreateCommand($"select count(*) from campaign_events where event_id = '{orphan.Event.EventId}'");
        Assert.Equal(1L, await count.ExecuteScalarAsync(TestContext.Token));
    }

    [Fact]
    public async Task Cycle_FailsCleanly_AndSpendsNoAttempt_WhenPostgresIsDown()
    {
        var orphan = new OrphanItem(new CanonicalEvent("lemlist", NewId("act"), "email.opened", DateTimeOffset.UtcNow, NewId("cam"), "pg@example.com", null, "{}"), 0, DateTimeOffset.UtcNow);
        await Queue.EnqueueAsync([(orphan, TimeSpan.Zero)], TestContext.Token);
        var settings = RunningServer.DefaultSettings($"Host=127.0.0.1;Port={TestEnvironment.ClosedPort()};Username=x;Password=y;Timeout=2", fixture.KeyPrefix);
        settings["ConnectionStrings:Redis"] = Server.Services.GetRequiredService<IOptions<RedisOptions>>().Value.ConnectionString; // the fixture's Redis: single node or cluster
        settings["Postgres:MigrateOnStart"] = "false";
        settings["RetryQueue:Schedule"] = "*/1 * * * * *";
        await using var broken = await RunningServer.StartAsync(settings);

        var failed = await broken.Services.GetRequiredService<RetryCycle>().RunAsync(TestContext.Token);

        Assert.Equal(CycleOutcome.Failed, failed.Outcome);
        Assert.True(failed.Released >= 1);
        var claim = await Queue.ClaimAsync(1000, TestContext.Token);
        var mine = Assert.Single(claim.Items, c => c.Item.Id == orphan.Id);
        Assert.Equal(0, mine.Item.Attempts);
        foreach (var item in claim.Items)
        {
            await Queue.ReleaseAsync(item, TestContext.Token);
        }

        using var metrics = await broken.Client.GetAsync("/api/metrics", TestContext.Token);
        var text = await metrics.Content.ReadAsStringAsync(TestContext.Token);
        Assert.Contains("salesauto_retry_cycles_total{result=\"failed\"} 1", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cycle_ReleasesTheBatchClaimedAhead_WhenPostgresFails()
    {
        await DrainLeftoversAsync();
        // Three items, batches of two: the cycle has claimed the second batch before the first fails.
        var orphans = Enumerable.Range(1, 3)
            .Select(i => new OrphanItem(new CanonicalEvent("lemlist", NewId("act"), "email.opened", DateTimeOffset.UtcNow, NewId("cam"), $"ahead{i}@example.com", null, "{}"), 0, DateTimeOffset.UtcNow))
            .ToList();
        await Queue.EnqueueAsync([.. orphans.Select(o => (o, TimeSpan.Zero))], TestContext.Token);
        var settings = RunningServer.DefaultSettings($"Host=127.0.0.1;Port={TestEnvironment.ClosedPort()};Username=x;Password=y;Timeout=2", fixture.KeyPrefix);
        settings["ConnectionStrings:Redis"] = Server.Services.GetRequiredService<IOptions<RedisOptions>>().Value.ConnectionString;
        settings["Postgres:MigrateOnStart"] = "false";
        settings["RetryQueue:BatchSize"] = "2";
        await using var broken = await RunningServer.StartAsync(settings);

        var failed = await broken.Services.GetRequiredService<RetryCycle>().RunAsync(TestContext.Token);

        Assert.Equal(CycleOutcome.Failed, failed.Outcome);
        // Nothing stays leased: all three are claimable again at once, no attempt spent.
        var claim = await Queue.ClaimAsync(1000, TestContext.Token);
        var mine = claim.Items.Where(c => orphans.Any(o => o.Id == c.Item.Id)).ToList();
        Assert.Equal(3, mine.Count);
        Assert.All(mine, c => Assert.Equal(0, c.Item.Attempts));
        // Ours leave the queue (left due, the class's other tests would count them); others go back.
        Assert.All(await Queue.AckAsync(mine, TestContext.Token), Assert.True);
        foreach (var item in claim.Items.Except(mine))
        {
            await Queue.ReleaseAsync(item, TestContext.Token);
        }
    }

    [Fact]
    public async Task Cycle_FailsCleanly_WhenRedisIsDown()
    {
        var settings = RunningServer.DefaultSettings(fixture.Schema.ConnectionString, fixture.KeyPrefix);
        settings["ConnectionStrings:Redis"] = $"127.0.0.1:{TestEnvironment.ClosedPort()},abortConnect=false,connectTimeout=300";
        await using var broken = await RunningServer.StartAsync(settings);

        var first = await broken.Services.GetRequiredService<RetryCycle>().RunAsync(TestContext.Token);
        var second = await broken.Services.GetRequiredService<RetryCycle>().RunAsync(TestContext.Token);

        Assert.Equal(CycleOutcome.Failed, first.Outcome);
        Assert.Equal(CycleOutcome.Failed, second.Outcome);
    }

    [Fact]
    public async Task Cycle_StopsClaiming_AndLeavesNothingLeased_WhenCancelled()
    {
        await DrainLeftoversAsync();
        var campaign = NewId("cam");
        await using (var seed = fixture.Schema.DataSource.CreateCommand(
            $"insert into campaigns (id) values ('{campaign}'); insert into enrollments (campaign_id, email) select '{campaign}', 'c' || g || '@example.com' from generate_series(1, 3000) g;"))
        {
            await seed.ExecuteNonQueryAsync(TestContext.Token);
        }

        var items = Enumerable.Range(1, 3000)
            .Select(i => (new OrphanItem(new CanonicalEvent("lemlist", $"cancel-{campaign}-{i}", "email.sent", DateTimeOffset.UtcNow, campaign, $"c{i}@example.com", null, "{}"), 0, DateTimeOffset.UtcNow), TimeSpan.Zero))
            .ToList();
        foreach (var chunk in items.Chunk(500))
        {
            await Queue.EnqueueAsync(chunk, TestContext.Token);
        }

        using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(60));
        var result = await ActivatorUtilities.CreateInstance<RetryCycle>(Server.Services).RunAsync(stop.Token);

        Assert.Equal(CycleOutcome.Completed, result.Outcome);
        Assert.Equal(0, (await Queue.GetDepthAsync(TestContext.Token)).Leased);
        await using var count = fixture.Schema.DataSource.CreateCommand($"select count(*) from campaign_events where campaign_id = '{campaign}'");
        var stored = (long)(await count.ExecuteScalarAsync(TestContext.Token))!;
        Assert.Equal(stored, result.Applied);

        // What was not processed is still queued, and the next cycles finish it.
        while ((await Queue.GetDepthAsync(TestContext.Token)).Due > 0)
        {
            await Cycle.RunAsync(TestContext.Token);
        }

        Assert.Equal(3000L, await count.ExecuteScalarAsync(TestContext.Token));
    }

    // Tests of this class share a key prefix: what an earlier test left due must not be counted here.
    private async Task DrainLeftoversAsync()
    {
        for (var i = 0; i < 100 && (await Queue.GetDepthAsync(TestContext.Token)).Due > 0; i++)
        {
            await Cycle.RunAsync(TestContext.Token);
        }
    }

    private async Task<CycleResult> RunUntilAsync(Func<CycleResult, bool> done)
    {
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(15);
        var total = new CycleResult(CycleOutcome.Completed);
        while (DateTimeOffset.UtcNow < deadline)
        {
            var result = await Cycle.RunAsync(TestContext.Token);
            total = total with { Applied = total.Applied + result.Applied, Reclaimed = total.Reclaimed + result.Reclaimed, Duplicates = total.Duplicates + result.Duplicates };
            if (done(total))
            {
                return total;
            }

            await Task.Delay(50, TestContext.Token);
        }

        return total;
    }

    private async Task EnrollAsync(string campaign, string email)
    {
        using var response = await Server.Admin.PostAsync("/api/enrollments", RunningServer.Json($$"""{"campaignId":"{{campaign}}","email":"{{email}}"}"""), TestContext.Token);
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK);
    }

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Token)).RootElement.Clone();

    private static string NewId(string stem) => $"{stem}_{Guid.NewGuid():N}";
}
