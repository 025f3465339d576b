using System.Collections.Concurrent;
using SalesAuto.Core.Observability;
using SalesAuto.Core.RetryQueue;
using SalesAuto.Core.Tests.Infrastructure;
using StackExchange.Redis;

namespace SalesAuto.Core.Tests.RetryQueue;

// Only the worker whose lease must expire gets the short lease; a worker that must still hold
// its lease when it acks keeps the default minute, so a slow machine cannot fail these tests.
/// <summary>Leases on a single Redis and on a Redis Cluster (subclasses in RetryQueueClusterTests.cs).</summary>
public abstract class RetryQueueLeaseTests(RedisQueueFixture redis)
{
    private static readonly TimeSpan ShortLease = TimeSpan.FromMilliseconds(300);

    [Fact]
    public async Task AckRescheduleRelease_ReturnFalse_WhenLeaseExpired()
    {
        var prefix = redis.NewPrefix();
        var queue = redis.CreateQueue(prefix, configure: o => o.Lease = ShortLease);
        await queue.EnqueueAsync([(RedisQueueFixture.Orphan("evt_1"), TimeSpan.Zero)], TestContext.Token);
        var stale = Assert.Single((await queue.ClaimAsync(10, TestContext.Token)).Items);
        await RedisClock.WaitPastLeaseAsync(redis.Redis.GetDatabase(), new RetryQueueKeys(prefix), stale.Item.Id, TestContext.Token);

        var acked = await queue.AckAsync(stale, TestContext.Token);
        var rescheduled = await queue.RescheduleAsync(stale, stale.Item with { Attempts = 1 }, TimeSpan.Zero, TestContext.Token);
        var released = await queue.ReleaseAsync(stale, TestContext.Token);

        Assert.False(acked);
        Assert.False(rescheduled);
        Assert.False(released);
        var depth = await queue.GetDepthAsync(TestContext.Token);
        Assert.Equal(0, depth.Due);
        Assert.Equal(1, depth.Leased);
        var reclaimed = Assert.Single((await queue.ClaimAsync(10, TestContext.Token)).Items);
        Assert.Equal(0, reclaimed.Item.Attempts);
    }

    [Fact]
    public async Task Claim_LeasesTheWholeBatchUnderOneToken_AndTheNextClaimUnderAGreaterOne()
    {
        var prefix = redis.NewPrefix();
        var keys = new RetryQueueKeys(prefix);
        var queue = redis.CreateQueue(prefix);
        await queue.EnqueueAsync([.. new[] { "evt_1", "evt_2", "evt_3" }.Select(id => (RedisQueueFixture.Orphan(id), TimeSpan.Zero))], TestContext.Token);

        var first = (await queue.ClaimAsync(2, TestContext.Token)).Items;
        var second = Assert.Single((await queue.ClaimAsync(2, TestContext.Token)).Items);

        Assert.Equal(2, first.Count);
        var token = first[0].Token;
        Assert.Equal(token, first[1].Token);
        Assert.True(second.Token > token);
        // What Redis holds: each id's lease under its claim's token.
        var stored = await redis.Redis.GetDatabase().HashGetAllAsync(keys.Tokens);
        Assert.Equal(
            [(first[0].Item.Id, token), (first[1].Item.Id, token), (second.Item.Id, second.Token)],
            stored.Select(e => ((string)e.Name!, (long)e.Value)).OrderBy(e => e.Item1, StringComparer.Ordinal));
    }

    [Fact]
    public async Task AckBatch_AcksLiveLeases_AndRefusesTheExpiredOne_WhenALeaseInTheQueueHasExpired()
    {
        var prefix = redis.NewPrefix();
        var live = redis.CreateQueue(prefix);
        var dying = redis.CreateQueue(prefix, configure: o => o.Lease = ShortLease);
        await live.EnqueueAsync([(RedisQueueFixture.Orphan("evt_1"), TimeSpan.Zero), (RedisQueueFixture.Orphan("evt_2"), TimeSpan.Zero)], TestContext.Token);
        // The long lease first, so the short one's claim finds nothing to reclaim.
        var held = Assert.Single((await live.ClaimAsync(1, TestContext.Token)).Items);
        var expired = Assert.Single((await dying.ClaimAsync(1, TestContext.Token)).Items);
        await RedisClock.WaitPastLeaseAsync(redis.Redis.GetDatabase(), new RetryQueueKeys(prefix), expired.Item.Id, TestContext.Token);

        // The ack cannot take the shortcut (no lease expired): it reads each lease's expiry.
        var acked = await live.AckAsync([held, expired], TestContext.Token);

        Assert.Equal([true, false], acked);
        var depth = await live.GetDepthAsync(TestContext.Token);
        Assert.Equal(0, depth.Due);
        Assert.Equal(1, depth.Leased);
        var reclaimed = Assert.Single((await live.ClaimAsync(10, TestContext.Token)).Items);
        Assert.Equal(expired.Item.Id, reclaimed.Item.Id);
    }

    [Fact]
    public async Task AckBatch_RemovesAnItemOnce_WhenItIsListedTwice()
    {
        var prefix = redis.NewPrefix();
        var queue = redis.CreateQueue(prefix);
        await queue.EnqueueAsync([(RedisQueueFixture.Orphan("evt_1"), TimeSpan.Zero)], TestContext.Token);
        var claimed = Assert.Single((await queue.ClaimAsync(10, TestContext.Token)).Items);

        var acked = await queue.AckAsync([claimed, claimed], TestContext.Token);

        Assert.Equal([true, false], acked);
        Assert.Equal(new QueueDepth(0, 0, TimeSpan.Zero), await queue.GetDepthAsync(TestContext.Token));
    }

    [Fact]
    public async Task Ack_RefusesOldTokenAndAcceptsNewOne_WhenAnotherWorkerReclaimedTheItem()
    {
        var metrics = new SalesAutoMetrics();
        var prefix = redis.NewPrefix();
        var workerA = redis.CreateQueue(prefix, configure: o => o.Lease = ShortLease);
        var workerB = redis.CreateQueue(prefix, metrics);
        await workerA.EnqueueAsync([(RedisQueueFixture.Orphan("evt_1"), TimeSpan.Zero)], TestContext.Token);
        var claimedByA = Assert.Single((await workerA.ClaimAsync(10, TestContext.Token)).Items);
        await RedisClock.WaitPastLeaseAsync(redis.Redis.GetDatabase(), new RetryQueueKeys(prefix), claimedByA.Item.Id, TestContext.Token);

        var claimByB = await workerB.ClaimAsync(10, TestContext.Token);
        var claimedByB = Assert.Single(claimByB.Items);

        Assert.Equal(1, claimByB.Reclaimed);
        Assert.Equal(1, metrics.OrphansReclaimed.Value);
        Assert.True(claimedByB.Token > claimedByA.Token);
        Assert.False(await workerA.RescheduleAsync(claimedByA, claimedByA.Item, TimeSpan.Zero, TestContext.Token));
        Assert.False(await workerA.ReleaseAsync(claimedByA, TestContext.Token));
        Assert.False(await workerA.AckAsync(claimedByA, TestContext.Token));
        Assert.True(await workerB.AckAsync(claimedByB, TestContext.Token));
        Assert.Equal(new QueueDepth(0, 0, TimeSpan.Zero), await workerB.GetDepthAsync(TestContext.Token));
    }

    [Fact]
    public async Task Claim_ReclaimsKilledWorkersItemsAfterLease_AndEachIsProcessedOnce()
    {
        var metrics = new SalesAutoMetrics();
        var prefix = redis.NewPrefix();
        var ids = Enumerable.Range(1, 20).Select(i => $"evt_{i}").ToList();
        await using (var doomed = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString))
        {
            var killed = RedisQueueFixture.CreateQueue(doomed, prefix, configure: o => o.Lease = ShortLease);
            await killed.EnqueueAsync([.. ids.Select(id => (RedisQueueFixture.Orphan(id), TimeSpan.Zero))], TestContext.Token);
            Assert.Equal(10, (await killed.ClaimAsync(10, TestContext.Token)).Items.Count);
        }

        var survivor = redis.CreateQueue(prefix, metrics);
        var processed = new List<string>();
        var reclaimed = 0;
        while (processed.Count < ids.Count)
        {
            var claim = await survivor.ClaimAsync(7, TestContext.Token);
            reclaimed += claim.Reclaimed;
            foreach (var claimed in claim.Items)
            {
                Assert.True(await survivor.AckAsync(claimed, TestContext.Token));
                processed.Add(claimed.Item.Event.EventId);
            }

            if (claim.Items.Count == 0)
            {
                await Task.Delay(100, TestContext.Token);
            }
        }

        Assert.Equal(ids.Order(), processed.Order());
        Assert.Equal(10, reclaimed);
        Assert.Equal(10, metrics.OrphansReclaimed.Value);
        Assert.Equal(new QueueDepth(0, 0, TimeSpan.Zero), await survivor.GetDepthAsync(TestContext.Token));
    }

    [Fact]
    public async Task ConcurrentWorkers_AckEveryItemExactlyOnce()
    {
        const int Items = 5_000;
        const int Workers = 4;
        var prefix = redis.NewPrefix();
        var keys = new RetryQueueKeys(prefix);
        var producer = redis.CreateQueue(prefix);
        foreach (var batch in Enumerable.Range(0, Items).Chunk(500))
        {
            var outcomes = await producer.EnqueueAsync([.. batch.Select(i => (RedisQueueFixture.Orphan($"evt_{i}", email: $"lead{i % 97}@example.com"), TimeSpan.Zero))], TestContext.Token);
            Assert.All(outcomes, o => Assert.Equal(EnqueueOutcome.Enqueued, o));
        }

        var acked = new ConcurrentBag<string>();
        var connections = new List<ConnectionMultiplexer>();
        for (var i = 0; i < Workers; i++)
        {
            connections.Add(await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString));
        }

        try
        {
            await Task.WhenAll(connections.Select(connection => Task.Run(async () =>
            {
                var worker = RedisQueueFixture.CreateQueue(connection, prefix);
                while (true)
                {
                    var claim = await worker.ClaimAsync(50, TestContext.Token);
                    if (claim.Items.Count == 0)
                    {
                        return;
                    }

                    foreach (var claimed in claim.Items)
                    {
                        Assert.True(await worker.AckAsync(claimed, TestContext.Token));
                        acked.Add(claimed.Item.Event.EventId);
                    }
                }
            })));
        }
        finally
        {
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
        }

        Assert.Equal(Items, acked.Count);
        Assert.Equal(Enumerable.Range(0, Items).Select(i => $"evt_{i}").Order(), acked.Order());
        Assert.Equal(new QueueDepth(0, 0, TimeSpan.Zero), await producer.GetDepthAsync(TestContext.Token));
        var db = redis.Redis.GetDatabase();
        Assert.Equal(0, await db.HashLengthAsync(keys.Items));
        Assert.Equal(0, await db.HashLengthAsync(keys.Tokens));
        Assert.DoesNotContain(await redis.KeysAsync(prefix), k => k.ToString().Contains("{retry}:idx:", StringComparison.Ordinal));
    }
}
