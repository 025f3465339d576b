using System.Globalization;
using SalesAuto.Core.RetryQueue;
using SalesAuto.Core.Tests.Infrastructure;
using StackExchange.Redis;

namespace SalesAuto.Core.Tests.RetryQueue;

/// <summary>The queue's contract on one Redis server.</summary>
public sealed class SingleNodeRetryQueueTests(RedisQueueFixture redis) : RetryQueueTests(redis), IClassFixture<RedisQueueFixture>;

/// <summary>Leases on one Redis server.</summary>
public sealed class SingleNodeRetryQueueLeaseTests(RedisQueueFixture redis) : RetryQueueLeaseTests(redis), IClassFixture<RedisQueueFixture>;

/// <summary>Leases on the shared Redis Cluster.</summary>
public sealed class ClusterRetryQueueLeaseTests(ClusterQueueFixture redis) : RetryQueueLeaseTests(redis), IClassFixture<ClusterQueueFixture>;

/// <summary>The cycle lock on one Redis server.</summary>
public sealed class SingleNodeCycleLockTests(RedisQueueFixture redis) : CycleLockTests(redis), IClassFixture<RedisQueueFixture>;

/// <summary>The cycle lock on the shared Redis Cluster.</summary>
public sealed class ClusterCycleLockTests(ClusterQueueFixture redis) : CycleLockTests(redis), IClassFixture<ClusterQueueFixture>;

/// <summary>The retry cycle, through SalesAuto.Server's services, on one Redis server.</summary>
public sealed class SingleNodeRetryCycleTests(FastRetryFixture fixture) : RetryCycleTests(fixture), IClassFixture<FastRetryFixture>;

/// <summary>The retry cycle, through SalesAuto.Server's services, on the shared Redis Cluster.</summary>
public sealed class ClusterRetryCycleTests(ClusterFastRetryFixture fixture) : RetryCycleTests(fixture), IClassFixture<ClusterFastRetryFixture>
{
    [Fact]
    public void Server_TalksToTheCluster()
    {
        var redis = fixture.Server.Services.GetRequiredService<IConnectionMultiplexer>();

        Assert.Equal(3, redis.GetEndPoints().Length);
        Assert.All(redis.GetEndPoints(), endPoint => Assert.Equal(ServerType.Cluster, redis.GetServer(endPoint).ServerType));
    }
}

/// <summary><see cref="FastRetryFixture"/> whose server uses the shared Redis Cluster.</summary>
public sealed class ClusterFastRetryFixture : FastRetryFixture
{
    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["ConnectionStrings:Redis"] = RedisClusterEnvironment.ConnectionString;
    }
}

/// <summary>
/// The queue's contract on a real 3-primary Redis Cluster (scripts/redis-cluster.sh), as Azure
/// Managed Redis is one: a script whose keys were not in one slot would fail there with CROSSSLOT.
/// </summary>
public sealed class ClusterRetryQueueTests(ClusterQueueFixture redis) : RetryQueueTests(redis), IClassFixture<ClusterQueueFixture>
{
    [Fact]
    public async Task EveryKeyOfTheQueue_HashesToOneSlot_AsTheClusterComputesIt_AndLivesOnOnePrimary()
    {
        var prefix = redis.NewPrefix();
        var keys = new RetryQueueKeys(prefix);
        var queue = redis.CreateQueue(prefix);
        var ann = RedisQueueFixture.Orphan("evt_1", email: "ann@example.com");
        var crm = RedisQueueFixture.CrmOrphan("evt_2", "901");
        await queue.EnqueueAsync([(ann, TimeSpan.Zero), (crm, TimeSpan.FromMinutes(10))], TestContext.Token);
        var claimed = Assert.Single((await queue.ClaimAsync(10, TestContext.Token)).Items);
        Assert.Equal(0, await queue.PromoteAsync([ann.Event.LookupKey], TestContext.Token)); // leased: marked promoted, not counted
        await using (var cycleLock = await queue.TryAcquireCycleLockAsync(TimeSpan.FromMinutes(1), TestContext.Token))
        {
            Assert.NotNull(cycleLock);
        }

        // Every key any script receives, named by the code that names them, and every key that exists.
        var named = new[] { keys.Due, keys.Items, keys.Leases, keys.Tokens, keys.Promoted, keys.Fence, keys.CycleLock, keys.CycleCompleted, keys.Index(ann.Event.LookupKey), keys.Index(crm.Event.LookupKey) };
        var stored = await redis.KeysAsync(prefix);
        Assert.Contains(keys.Promoted, stored);
        var server = redis.Redis.GetServer(redis.Redis.GetEndPoints()[0]);
        var slots = new HashSet<long>();
        foreach (var key in named.Concat(stored))
        {
            // The server's own hash (CRC16 of the hash tag), not the client's copy of the algorithm.
            slots.Add((long)await server.ExecuteAsync("CLUSTER", "KEYSLOT", key.ToString()));
        }

        var slot = Assert.Single(slots);
        Assert.Equal(redis.Redis.HashSlot("{retry}"), (int)slot);
        var holders = new List<System.Net.EndPoint>();
        foreach (var endPoint in redis.Redis.GetEndPoints())
        {
            var node = redis.Redis.GetServer(endPoint);
            if ((long)await node.ExecuteAsync("CLUSTER", "COUNTKEYSINSLOT", slot) > 0)
            {
                holders.Add(endPoint);
            }
        }

        Assert.Single(holders);
        Assert.Equal(3, redis.Redis.GetEndPoints().Length);
        Assert.True(await queue.AckAsync(claimed, TestContext.Token));
    }
}

/// <summary>
/// The queue on a private cluster whose topology the test changes: its slot moved to another
/// primary (the client follows ASK, then MOVED), its primary killed and started again.
/// </summary>
public sealed class RetryQueueClusterTopologyTests
{
    private static readonly TimeSpan Later = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task Queue_FollowsAskThenMoved_AndLosesNothing_WhenItsSlotMigratesToAnotherPrimary()
    {
        await using var cluster = await PrivateRedisCluster.StartAsync(TestContext.Token);
        await using var connection = await ConnectionMultiplexer.ConnectAsync(cluster.ConnectionString);
        var keys = new RetryQueueKeys("mig:");
        var queue = RedisQueueFixture.CreateQueue(connection, "mig:");
        await queue.EnqueueAsync(
        [
            .. Enumerable.Range(1, 20).Select(i => (RedisQueueFixture.Orphan($"now_{i}", email: $"lead{i}@example.com"), TimeSpan.Zero)),
            .. Enumerable.Range(1, 5).Select(i => (RedisQueueFixture.Orphan($"later_{i}", email: "later@example.com"), Later)),
        ], TestContext.Token);
        var leased = (await queue.ClaimAsync(5, TestContext.Token)).Items;
        Assert.Equal(5, leased.Count);

        var slot = connection.HashSlot(keys.Due);
        var sourcePort = await PrivateRedisCluster.PrimaryOfAsync(connection, slot);
        var targetPort = cluster.Ports.First(p => p != sourcePort);
        var source = connection.GetServer("127.0.0.1", sourcePort);
        var target = connection.GetServer("127.0.0.1", targetPort);
        var sourceId = (string)(await source.ExecuteAsync("CLUSTER", "MYID"))!;
        var targetId = (string)(await target.ExecuteAsync("CLUSTER", "MYID"))!;

        // Migrate the slot as redis-cli --cluster reshard does: importing, migrating, every key, then the owner.
        await target.ExecuteAsync("CLUSTER", "SETSLOT", slot, "IMPORTING", sourceId);
        await source.ExecuteAsync("CLUSTER", "SETSLOT", slot, "MIGRATING", targetId);
        while (true)
        {
            var batch = (RedisResult[])(await source.ExecuteAsync("CLUSTER", "GETKEYSINSLOT", slot, 100))!;
            if (batch.Length == 0)
            {
                break;
            }

            var migrate = new List<object> { "127.0.0.1", targetPort, string.Empty, 0, 5000, "AUTH", cluster.Password, "KEYS" };
            migrate.AddRange(batch.Select(k => (object)(string)k!));
            await source.ExecuteAsync("MIGRATE", [.. migrate]);
        }

        // Mid-migration every key is on the target and the source answers ASK: a script whose keys
        // all exist is served there through ASKING.
        var askBefore = await ErrorCountAsync(source, "ASK");
        var midMigration = await queue.GetDepthAsync(TestContext.Token);
        Assert.Equal((20L, 5L), (midMigration.Due, midMigration.Leased));
        Assert.True(await ErrorCountAsync(source, "ASK") > askBefore, "the source never answered ASK: the script did not go through the migration");
        // A script with a key that does not exist anywhere yet (promoted) cannot run on either side
        // while the slot is split: TRYAGAIN, an outage the caller retries (503, next cycle), nothing changed.
        await Assert.ThrowsAsync<RetryQueueUnavailableException>(() => queue.ClaimAsync(100, TestContext.Token));

        foreach (var port in cluster.Ports.OrderBy(p => p == targetPort ? 0 : 1))
        {
            await connection.GetServer("127.0.0.1", port).ExecuteAsync("CLUSTER", "SETSLOT", slot, "NODE", targetId);
        }

        // The slot is the target's: the client's stale map sends the next script to the source, which answers MOVED.
        var movedBefore = await ErrorCountAsync(source, "MOVED");
        var rest = (await queue.ClaimAsync(100, TestContext.Token)).Items;
        Assert.True(await ErrorCountAsync(source, "MOVED") > movedBefore, "the source never answered MOVED");
        Assert.Equal(15, rest.Count);
        Assert.Equal(Enumerable.Repeat(true, 20), await queue.AckAsync([.. leased, .. rest], TestContext.Token));
        Assert.Equal(5, await queue.PromoteAsync([RedisQueueFixture.Orphan("x", email: "later@example.com").Event.LookupKey], TestContext.Token));
        var promoted = (await queue.ClaimAsync(100, TestContext.Token)).Items;
        Assert.Equal(Enumerable.Range(1, 5).Select(i => $"later_{i}"), promoted.Select(c => c.Item.Event.EventId).Order());
        Assert.Equal(targetPort, await PrivateRedisCluster.PrimaryOfAsync(connection, slot));
        Assert.Equal(0L, (long)await source.ExecuteAsync("CLUSTER", "COUNTKEYSINSLOT", slot));
        Assert.True((long)await target.ExecuteAsync("CLUSTER", "COUNTKEYSINSLOT", slot) > 0);
    }

    [Fact]
    public async Task Queue_LosesNothing_WhenThePrimaryOfItsSlotIsKilledAndStartedAgain()
    {
        await using var cluster = await PrivateRedisCluster.StartAsync(TestContext.Token);
        await using var connection = await ConnectionMultiplexer.ConnectAsync(cluster.ConnectionString);
        var queue = RedisQueueFixture.CreateQueue(connection, "kill:");
        await queue.EnqueueAsync(
        [
            .. Enumerable.Range(1, 10).Select(i => (RedisQueueFixture.Orphan($"now_{i}", email: $"lead{i}@example.com"), TimeSpan.Zero)),
            (RedisQueueFixture.Orphan("later_1", email: "later@example.com"), Later),
        ], TestContext.Token);
        var leased = (await queue.ClaimAsync(4, TestContext.Token)).Items;
        var before = await queue.GetDepthAsync(TestContext.Token);

        var primary = await PrivateRedisCluster.PrimaryOfAsync(connection, connection.HashSlot("{retry}"));
        await cluster.KillAsync(primary, TestContext.Token);
        await Assert.ThrowsAsync<RetryQueueUnavailableException>(() => queue.GetDepthAsync(TestContext.Token));
        await cluster.StartAgainAsync(TestContext.Token);
        var after = await WaitForDepthAsync(queue);

        Assert.Equal((7L, 4L), (before.Due, before.Leased));
        Assert.Equal((before.Due, before.Leased), (after.Due, after.Leased));
        Assert.Equal(Enumerable.Repeat(true, 4), await queue.AckAsync(leased, TestContext.Token));
        var rest = (await queue.ClaimAsync(100, TestContext.Token)).Items;
        Assert.Equal(
            Enumerable.Range(1, 10).Select(i => $"now_{i}").Except(leased.Select(c => c.Item.Event.EventId)).Order(),
            rest.Select(c => c.Item.Event.EventId).Order());
    }

    // The client reconnects in the background: poll until a script is served again, within a deadline.
    private static async Task<QueueDepth> WaitForDepthAsync(RedisRetryQueue queue)
    {
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                return await queue.GetDepthAsync(TestContext.Token);
            }
            catch (RetryQueueUnavailableException) when (DateTimeOffset.UtcNow < deadline)
            {
                await Task.Delay(100, TestContext.Token);
            }
        }
    }

    // INFO errorstats: how many times this node answered the given error (ASK, MOVED) so far.
    private static async Task<long> ErrorCountAsync(IServer server, string error)
    {
        var info = await server.InfoRawAsync("errorstats") ?? string.Empty;
        var line = info.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith($"errorstat_{error}:count=", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line[(line.IndexOf('=', StringComparison.Ordinal) + 1)..].Split(',')[0], CultureInfo.InvariantCulture);
    }
}
