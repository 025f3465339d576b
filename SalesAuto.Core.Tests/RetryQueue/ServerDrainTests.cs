using System.Diagnostics;
using SalesAuto.Core.Events;
using SalesAuto.Core.RetryQueue;
using SalesAuto.Core.Tests.Infrastructure;

namespace SalesAuto.Core.Tests.RetryQueue;

/// <summary>The Server's own hosted cycle on its schedule: draining a backlog, and stopping on SIGTERM with nothing lost.</summary>
public sealed class ServerDrainTests(PostgresSchema schema) : IClassFixture<PostgresSchema>
{
    [Fact]
    public async Task Server_DrainsTenThousandOrphans_WhoseEnrollmentsThenAppear()
    {
        const int count = 10_000;
        var campaign = $"cam_{Guid.NewGuid():N}";
        await using var server = await RunningServer.StartAsync(Settings(TestEnvironment.UniqueName("drain") + ":"));
        var queue = server.Services.GetRequiredService<IRetryQueue>();
        var items = Items(campaign, count);
        foreach (var chunk in items.Chunk(500))
        {
            // Parked for an hour: only the enrollments' arrival makes them due.
            await queue.EnqueueAsync([.. chunk.Select(i => (i, TimeSpan.FromHours(1)))], TestContext.Token);
        }

        await SeedEnrollmentsAsync(campaign, count);
        foreach (var chunk in items.Chunk(500))
        {
            await queue.PromoteAsync([.. chunk.Select(i => i.Event.LookupKey)], TestContext.Token);
        }

        var stored = 0L;
        var deadline = Stopwatch.StartNew();
        while (stored < count && deadline.Elapsed < TimeSpan.FromMinutes(2))
        {
            await Task.Delay(500, TestContext.Token);
            stored = await CountAsync(campaign);
        }

        Assert.Equal(count, stored);
        var depth = await queue.GetDepthAsync(TestContext.Token);
        Assert.Equal(0, depth.Due + depth.Leased);
    }

    [Fact]
    public async Task Server_StopsWithinItsShutdownTimeout_LeavingNothingLeasedOrLost()
    {
        const int count = 6000;
        var campaign = $"cam_{Guid.NewGuid():N}";
        var prefix = TestEnvironment.UniqueName("stop") + ":";
        await SeedEnrollmentsAsync(campaign, count);
        var server = await RunningServer.StartAsync(Settings(prefix));
        var queue = server.Services.GetRequiredService<IRetryQueue>();
        foreach (var chunk in Items(campaign, count).Chunk(500))
        {
            await queue.EnqueueAsync([.. chunk.Select(i => (i, TimeSpan.Zero))], TestContext.Token);
        }

        while (await CountAsync(campaign) == 0)
        {
            await Task.Delay(20, TestContext.Token);
        }

        var stopping = Stopwatch.StartNew();
        await server.DisposeAsync();
        stopping.Stop();

        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(30), $"stopped in {stopping.Elapsed}");
        var stats = new RetryQueueKeys(prefix);
        var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(TestEnvironment.RedisConnectionString);
        await using (redis)
        {
            var db = redis.GetDatabase();
            Assert.Equal(0, await db.SortedSetLengthAsync(stats.Leases));
            var stillQueued = await db.SortedSetLengthAsync(stats.Due);
            Assert.Equal(count, await CountAsync(campaign) + stillQueued);
        }
    }

    private Dictionary<string, string?> Settings(string prefix)
    {
        var settings = RunningServer.DefaultSettings(schema.ConnectionString, prefix);
        settings["RetryQueue:CycleEnabled"] = "true";
        settings["RetryQueue:Schedule"] = "*/1 * * * * *";
        settings["RetryQueue:BatchSize"] = "100";
        return settings;
    }

    private static List<OrphanItem> Items(string campaign, int count) =>
        [.. Enumerable.Range(1, count).Select(i => new OrphanItem(
            new CanonicalEvent("lemlist", $"{campaign}-{i}", "email.opened", DateTimeOffset.UtcNow, campaign, $"p{i}@example.com", null, "{}"),
            0,
            DateTimeOffset.UtcNow))];

    private async Task SeedEnrollmentsAsync(string campaign, int count)
    {
        await using var seed = schema.DataSource.CreateCommand(
            $"insert into campaigns (id) values ('{campaign}'); insert into enrollments (campaign_id, email) select '{campaign}', 'p' || g || '@example.com' from generate_series(1, {count}) g;");
        await seed.ExecuteNonQueryAsync(TestContext.Token);
    }

    private async Task<long> CountAsync(string campaign)
    {
        await using var command = schema.DataSource.CreateCommand($"select count(*) from campaign_events where campaign_id = '{campaign}'");
        return (long)(await command.ExecuteScalarAsync(TestContext.Token))!;
    }
}
