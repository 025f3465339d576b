using SalesAuto.Core.RetryQueue;
using SalesAuto.Core.Tests.Infrastructure;
using StackExchange.Redis;

namespace SalesAuto.Core.Tests.RetryQueue;

/// <summary>The cycle lock on a single Redis and on a Redis Cluster (subclasses in RetryQueueClusterTests.cs).</summary>
public abstract class CycleLockTests(RedisQueueFixture redis)
{
    [Fact]
    public async Task TryAcquireCycleLock_ReturnsNull_WhileAnotherHolderHasIt()
    {
        var prefix = redis.NewPrefix();
        var instanceA = redis.CreateQueue(prefix);
        var instanceB = redis.CreateQueue(prefix);

        var held = await instanceA.TryAcquireCycleLockAsync(TimeSpan.FromMinutes(1), TestContext.Token);
        var refused = await instanceB.TryAcquireCycleLockAsync(TimeSpan.FromMinutes(1), TestContext.Token);
        Assert.NotNull(held);
        await held.DisposeAsync();
        await using var afterRelease = await instanceB.TryAcquireCycleLockAsync(TimeSpan.FromMinutes(1), TestContext.Token);

        Assert.Null(refused);
        Assert.NotNull(afterRelease);
        Assert.True(afterRelease.Token > held.Token);
    }

    [Fact]
    public async Task Extend_PushesExpiryOut_WhileHeld()
    {
        var prefix = redis.NewPrefix();
        var instanceA = redis.CreateQueue(prefix);
        var instanceB = redis.CreateQueue(prefix);
        await using var held = await instanceA.TryAcquireCycleLockAsync(TimeSpan.FromSeconds(10), TestContext.Token);
        Assert.NotNull(held);

        var extended = await held.ExtendAsync(TimeSpan.FromMinutes(1), TestContext.Token);
        var ttl = await redis.Redis.GetDatabase().KeyTimeToLiveAsync(new RetryQueueKeys(prefix).CycleLock);
        var refused = await instanceB.TryAcquireCycleLockAsync(TimeSpan.FromMinutes(1), TestContext.Token);

        Assert.True(extended);
        Assert.InRange(ttl!.Value, TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(1));
        Assert.Null(refused);
    }

    [Fact]
    public async Task ExtendAndDispose_LeaveNewHolderAlone_WhenLockExpiredAndWasTaken()
    {
        var prefix = redis.NewPrefix();
        var instanceA = redis.CreateQueue(prefix);
        var instanceB = redis.CreateQueue(prefix);
        var lost = await instanceA.TryAcquireCycleLockAsync(TimeSpan.FromMilliseconds(300), TestContext.Token);
        Assert.NotNull(lost);
        await WaitUntilExpiredAsync(new RetryQueueKeys(prefix).CycleLock);
        await using var taken = await instanceB.TryAcquireCycleLockAsync(TimeSpan.FromMinutes(1), TestContext.Token);
        Assert.NotNull(taken);

        var extended = await lost.ExtendAsync(TimeSpan.FromMinutes(1), TestContext.Token);
        await lost.DisposeAsync();
        var third = await instanceA.TryAcquireCycleLockAsync(TimeSpan.FromMinutes(1), TestContext.Token);

        Assert.False(extended);
        Assert.Null(third);
        Assert.True(await taken.ExtendAsync(TimeSpan.FromMinutes(1), TestContext.Token));
    }

    // Waits for Redis to expire the lock (its PX ttl runs on Redis's clock), not for the client's
    // clock to pass a guess: PTTL reads -2 once the key is gone.
    private async Task WaitUntilExpiredAsync(RedisKey key)
    {
        var db = redis.Redis.GetDatabase();
        while ((long)await db.ExecuteAsync("PTTL", key) != -2)
        {
            await Task.Delay(20, TestContext.Token);
        }
    }
}
