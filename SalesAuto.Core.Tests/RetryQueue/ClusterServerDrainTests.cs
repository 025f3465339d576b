using System.Diagnostics;
using System.Net;
using System.Text.Json;
using SalesAuto.Core.Events;
using SalesAuto.Core.RetryQueue;
using SalesAuto.Core.Tests.Infrastructure;
using StackExchange.Redis;

namespace SalesAuto.Core.Tests.RetryQueue;

/// <summary>
/// SalesAuto.Server with its own hosted cycle on a Redis Cluster: orphans that arrive over HTTP are
/// drained once their enrollments arrive over HTTP; and a drain survives the queue's primary being
/// killed (SIGKILL) and started again, with nothing lost and nothing left leased.
/// </summary>
public sealed class ClusterServerDrainTests(PostgresSchema schema) : IClassFixture<PostgresSchema>
{
    private const string LemlistToken = "lemlist-token-for-cluster-drain";

    [Fact]
    public async Task Server_DrainsOrphansReceivedOverHttp_WhenTheirEnrollmentsArrive_OnTheSharedCluster()
    {
        const int count = 60;
        var campaign = $"cam_{Guid.NewGuid():N}";
        var prefix = TestEnvironment.UniqueName("cdrain") + ":";
        await using var server = await RunningServer.StartAsync(Settings(prefix, RedisClusterEnvironment.ConnectionString));

        for (var i = 1; i <= count; i++)
        {
            using var webhook = await server.Client.PostAsync(
                $"/api/webhooks/lemlist?token={LemlistToken}",
                RunningServer.Json($$"""{"_id":"act_{{campaign}}_{{i}}","type":"emailsOpened","campaignId":"{{campaign}}","leadEmail":"p{{i}}@example.com","createdAt":"2026-11-23T10:00:00Z"}"""),
                TestContext.Token);
            Assert.Equal(HttpStatusCode.OK, webhook.StatusCode);
            Assert.Equal(1, (await ReadJsonAsync(webhook)).GetProperty("orphaned").GetInt32());
        }

        // They are parked in the cluster, on the primary that owns the queue's slot.
        await using (var cluster = await ConnectionMultiplexer.ConnectAsync(RedisClusterEnvironment.ConnectionString))
        {
            var keys = new RetryQueueKeys(prefix);
            Assert.Equal(count, await cluster.GetDatabase().HashLengthAsync(keys.Items));
            Assert.Equal(3, cluster.GetEndPoints().Length);
        }

        for (var i = 1; i <= count; i++)
        {
            using var enrolled = await server.Admin.PostAsync("/api/enrollments", RunningServer.Json($$"""{"campaignId":"{{campaign}}","email":"p{{i}}@example.com"}"""), TestContext.Token);
            Assert.True(enrolled.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, $"enrollment {i}: {enrolled.StatusCode}");
        }

        var opened = 0;
        var deadline = Stopwatch.StartNew();
        while (opened < count && deadline.Elapsed < TimeSpan.FromMinutes(1))
        {
            await Task.Delay(100, TestContext.Token);
            using var stats = await server.Admin.GetAsync($"/api/campaigns/{campaign}/stats", TestContext.Token);
            var events = (await ReadJsonAsync(stats)).GetProperty("events");
            opened = events.TryGetProperty("email.opened", out var value) ? value.GetInt32() : 0;
        }

        Assert.Equal(count, opened);
        await WaitUntilEmptyAsync(server.Services.GetRequiredService<IRetryQueue>());
    }

    [Fact]
    public async Task Server_DrainsEveryOrphanOnce_WhenThePrimaryOfTheQueueIsKilledAndRestartedMidDrain()
    {
        const int count = 4000;
        await using var cluster = await PrivateRedisCluster.StartAsync(TestContext.Token);
        var (server, campaign) = await StartDrainAsync(cluster, "ckill", count);
        await using (server)
        {
            await using var observer = await ConnectionMultiplexer.ConnectAsync(cluster.ConnectionString);
            var primary = await PrivateRedisCluster.PrimaryOfAsync(observer, observer.HashSlot("{retry}"));
            await cluster.KillAsync(primary, TestContext.Token);
            var storedAtKill = await CountAsync(campaign);
            // Not vacuous: when the primary died, part of the backlog existed only in its AOF.
            Assert.True(storedAtKill < count, $"the drain had finished ({storedAtKill} stored) before the kill");
            await cluster.StartAgainAsync(TestContext.Token);

            await WaitUntilStoredAsync(campaign, count);
            await WaitUntilEmptyAsync(server.Services.GetRequiredService<IRetryQueue>());
        }
    }

    [Fact]
    public async Task Server_DrainsEveryOrphanOnce_WhenThePrimaryOfTheQueueFailsOverToItsReplicaMidDrain()
    {
        const int count = 4000;
        await using var cluster = await PrivateRedisCluster.StartAsync(TestContext.Token, replicas: 1);
        var (server, campaign) = await StartDrainAsync(cluster, "cfailover", count);
        await using (server)
        {
            await using var observer = await ConnectionMultiplexer.ConnectAsync(cluster.ConnectionString);
            var slot = observer.HashSlot("{retry}");
            var primary = await PrivateRedisCluster.PrimaryOfAsync(observer, slot);
            var replica = await cluster.ReplicaOfAsync(observer, primary);

            // A manual failover, as Azure does for patching: the replica catches up with the primary,
            // then takes its slots over; the old primary becomes its replica and answers MOVED.
            var failover = PrivateRedisCluster.FailOverToAsync(observer, replica, TestContext.Token);
            var storedAtFailover = await CountAsync(campaign);
            Assert.True(storedAtFailover < count, $"the drain had finished ({storedAtFailover} stored) before the failover");
            await failover;
            // The rest of the cluster learns of it by gossip: wait for the view the server will get.
            var deadline = Stopwatch.StartNew();
            while (await PrivateRedisCluster.PrimaryOfAsync(observer, slot) != replica)
            {
                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), "the cluster did not agree on the new primary within 30 s");
                await Task.Delay(50, TestContext.Token);
            }

            await WaitUntilStoredAsync(campaign, count);
            await WaitUntilEmptyAsync(server.Services.GetRequiredService<IRetryQueue>());
        }
    }

    // A server with its own hosted cycle on the private cluster, and a backlog of orphans whose
    // enrollments have just arrived: returns once the drain has stored its first event.
    private async Task<(RunningServer Server, string Campaign)> StartDrainAsync(PrivateRedisCluster cluster, string stem, int count)
    {
        var campaign = $"cam_{Guid.NewGuid():N}";
        var settings = Settings(TestEnvironment.UniqueName(stem) + ":", cluster.ConnectionString);
        settings["RetryQueue:BatchSize"] = "25"; // many small batches: the outage lands mid-drain
        settings["RetryQueue:Lease"] = "00:00:03"; // what was leased when the primary went comes back soon
        var server = await RunningServer.StartAsync(settings);
        var queue = server.Services.GetRequiredService<IRetryQueue>();
        var items = Enumerable.Range(1, count).Select(i => new OrphanItem(
            new CanonicalEvent("lemlist", $"{campaign}-{i}", "email.opened", DateTimeOffset.UtcNow, campaign, $"p{i}@example.com", null, "{}"), 0, DateTimeOffset.UtcNow)).ToList();
        foreach (var chunk in items.Chunk(500))
        {
            // Parked for an hour: only the enrollments' arrival makes them due.
            await queue.EnqueueAsync([.. chunk.Select(i => (i, TimeSpan.FromHours(1)))], TestContext.Token);
        }

        await using (var seed = schema.DataSource.CreateCommand(
            $"insert into campaigns (id) values ('{campaign}'); insert into enrollments (campaign_id, email) select '{campaign}', 'p' || g || '@example.com' from generate_series(1, {count}) g;"))
        {
            await seed.ExecuteNonQueryAsync(TestContext.Token);
        }

        foreach (var chunk in items.Chunk(500))
        {
            await queue.PromoteAsync([.. chunk.Select(i => i.Event.LookupKey)], TestContext.Token);
        }

        while (await CountAsync(campaign) == 0)
        {
            await Task.Delay(10, TestContext.Token);
        }

        return (server, campaign);
    }

    private async Task WaitUntilStoredAsync(string campaign, int count)
    {
        var stored = 0L;
        var deadline = Stopwatch.StartNew();
        while (stored < count && deadline.Elapsed < TimeSpan.FromMinutes(2))
        {
            await Task.Delay(200, TestContext.Token);
            stored = await CountAsync(campaign);
        }

        Assert.Equal(count, stored);
    }

    // Leases of items whose ack the outage swallowed expire, are reclaimed, found duplicate and acked.
    private static async Task WaitUntilEmptyAsync(IRetryQueue queue)
    {
        var deadline = Stopwatch.StartNew();
        QueueDepth? depth = null;
        while (deadline.Elapsed < TimeSpan.FromMinutes(1))
        {
            try
            {
                depth = await queue.GetDepthAsync(TestContext.Token);
                if (depth.Due + depth.Leased == 0)
                {
                    return;
                }
            }
            catch (RetryQueueUnavailableException)
            {
                // Still reconnecting.
            }

            await Task.Delay(200, TestContext.Token);
        }

        Assert.Fail($"the queue did not drain: {depth}");
    }

    private Dictionary<string, string?> Settings(string prefix, string redis)
    {
        var settings = RunningServer.DefaultSettings(schema.ConnectionString, prefix);
        settings["ConnectionStrings:Redis"] = redis;
        settings["RetryQueue:CycleEnabled"] = "true";
        settings["RetryQueue:Schedule"] = "*/1 * * * * *";
        settings["Webhooks:Sources:lemlist:Kind"] = "Lemlist";
        settings["Webhooks:Sources:lemlist:Secrets:0"] = LemlistToken;
        return settings;
    }

    private async Task<long> CountAsync(string campaign)
    {
        await using var command = schema.DataSource.CreateCommand($"select count(*) from campaign_events where campaign_id = '{campaign}'");
        return (long)(await command.ExecuteScalarAsync(TestContext.Token))!;
    }

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Token)).RootElement.Clone();
}
