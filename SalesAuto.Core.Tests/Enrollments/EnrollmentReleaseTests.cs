using System.Net;
using System.Text.Json;
using SalesAuto.Core.Events;
using SalesAuto.Core.RetryQueue;
using SalesAuto.Core.Tests.Infrastructure;
using StackExchange.Redis;

namespace SalesAuto.Core.Tests.Enrollments;

/// <summary>A small batch, so an enrollment with more parked orphans than one batch shows the bound; short delays, many attempts.</summary>
public sealed class SmallBatchFixture : ServerFixture
{
    public const int BatchSize = 2;

    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["RetryQueue:BatchSize"] = BatchSize.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["RetryQueue:Delays"] = "00:00:00.050";
        settings["RetryQueue:MaxAttempts"] = "100";
        settings["RetryQueue:JitterMax"] = "00:00:00";
        settings["RetryQueue:Lease"] = "00:00:30";
    }
}

/// <summary><c>POST /api/enrollments</c> applies the enrollment's parked orphans in the same request.</summary>
public sealed class EnrollmentReleaseTests(SmallBatchFixture fixture) : IClassFixture<SmallBatchFixture>
{
    private RunningServer Server => fixture.Server;

    private IRetryQueue Queue => Server.Services.GetRequiredService<IRetryQueue>();

    private RetryCycle Cycle => Server.Services.GetRequiredService<RetryCycle>();

    [Fact]
    public async Task Upsert_AppliesOneBatchOfParkedOrphansAtOnce_AndMakesTheRestDueNow()
    {
        var campaign = NewId("cam");
        // Parked for an hour: only the enrollment can make them due, so every count below is exact.
        var orphans = new[] { "email.sent", "email.opened", "email.clicked" }
            .Select(type => Orphan(campaign, "ann@example.com", type))
            .ToArray();
        await Queue.EnqueueAsync([.. orphans.Select(o => (o, TimeSpan.FromHours(1)))], TestContext.Token);

        using var enrolled = await Server.Admin.PostAsync("/api/enrollments", RunningServer.Json($$"""{"campaignId":"{{campaign}}","email":"ann@example.com"}"""), TestContext.Token);
        var answer = await ReadJsonAsync(enrolled);
        using var stats = await Server.Admin.GetAsync($"/api/campaigns/{campaign}/stats", TestContext.Token);
        var events = (await ReadJsonAsync(stats)).GetProperty("events");

        Assert.Equal(HttpStatusCode.Created, enrolled.StatusCode);
        Assert.Equal(3, answer.GetProperty("released").GetInt32());
        Assert.Equal(SmallBatchFixture.BatchSize, answer.GetProperty("applied").GetInt32());
        var counted = events.EnumerateObject().Sum(e => e.Value.GetInt32());
        Assert.True(counted == SmallBatchFixture.BatchSize, $"the stats counted {counted} events when the enrollment call returned, want the {SmallBatchFixture.BatchSize} it said it applied: {events}");

        // The one beyond the batch is due now (not in an hour), with nothing leased.
        var keys = new RetryQueueKeys(fixture.KeyPrefix);
        var redis = Server.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        var pending = await redis.SortedSetRangeByScoreWithScoresAsync(keys.Due);
        var now = await RedisNowAsync(redis);
        var left = Assert.Single(pending, p => orphans.Any(o => o.Id == p.Element));
        Assert.True(left.Score <= now, $"the orphan beyond the batch is due at {left.Score} (Redis ms), want due now (<= {now})");
        Assert.Equal(0, await redis.SortedSetLengthAsync(keys.Leases));
    }

    [Fact]
    public async Task Upsert_AnswersAppliedZero_WhenNothingIsParked()
    {
        using var enrolled = await Server.Admin.PostAsync("/api/enrollments", RunningServer.Json($$"""{"campaignId":"{{NewId("cam")}}","email":"bob@example.com"}"""), TestContext.Token);
        var answer = await ReadJsonAsync(enrolled);

        Assert.Equal(0, answer.GetProperty("released").GetInt32());
        Assert.Equal(0, answer.GetProperty("applied").GetInt32());
    }

    [Fact]
    public async Task UpsertAndConcurrentCycles_ApplyEachParkedOrphanExactlyOnce()
    {
        // Each round: orphans due now, then an enrollment call and two retry cycles at once. The
        // cycle may claim an item before the enrollment commits (rescheduled, marked promoted) or
        // after (applied); the call leases what is parked. An item given to two workers would show
        // as a duplicate in a cycle's result, or as applied counts summing to more than sent.
        const int rounds = 6;
        const int perRound = 8;
        for (var round = 0; round < rounds; round++)
        {
            var campaign = NewId("cam");
            var orphans = Enumerable.Range(0, perRound).Select(_ => Orphan(campaign, "cyd@example.com", "email.opened")).ToArray();
            await Queue.EnqueueAsync([.. orphans.Select(o => (o, TimeSpan.Zero))], TestContext.Token);

            var cycles = Enumerable.Range(0, 2).Select(_ => Task.Run(() => Cycle.RunAsync(TestContext.Token))).ToArray();
            var enrolledTask = Server.Admin.PostAsync("/api/enrollments", RunningServer.Json($$"""{"campaignId":"{{campaign}}","email":"cyd@example.com"}"""), TestContext.Token);
            using var enrolled = await enrolledTask;
            var results = (await Task.WhenAll(cycles)).ToList();
            var appliedByCall = (await ReadJsonAsync(enrolled)).GetProperty("applied").GetInt32();

            // Drain what the cycles rescheduled before the enrollment existed.
            var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(30);
            while (results.Sum(r => r.Applied) + appliedByCall < perRound && DateTimeOffset.UtcNow < deadline)
            {
                results.Add(await Cycle.RunAsync(TestContext.Token));
            }

            var appliedByCycles = results.Sum(r => r.Applied);
            Assert.True(
                appliedByCall + appliedByCycles == perRound && results.All(r => r.Duplicates == 0),
                $"round {round}: the call applied {appliedByCall}, the cycles {appliedByCycles} with {results.Sum(r => r.Duplicates)} duplicates; want {perRound} applied in all and no duplicate");
            await using var count = fixture.Schema.DataSource.CreateCommand("select count(*) from campaign_events where campaign_id = @c");
            count.Parameters.AddWithValue("c", campaign);
            Assert.Equal((long)perRound, await count.ExecuteScalarAsync(TestContext.Token));
        }

        var depth = await Queue.GetDepthAsync(TestContext.Token);
        Assert.True(depth.Leased == 0, $"{depth.Leased} items still leased after every round drained, want 0");
    }

    private static OrphanItem Orphan(string campaign, string email, string type) =>
        new(new CanonicalEvent("lemlist", NewId("act"), type, DateTimeOffset.UtcNow, campaign, email, null, "{}"), 0, DateTimeOffset.UtcNow);

    private static async Task<long> RedisNowAsync(IDatabase redis)
    {
        var time = (RedisResult[])(await redis.ExecuteAsync("TIME"))!;
        return ((long)time[0] * 1000) + ((long)time[1] / 1000);
    }

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Token)).RootElement.Clone();

    private static string NewId(string stem) => $"{stem}_{Guid.NewGuid():N}";
}
