using SalesAuto.Core.RetryQueue;
using StackExchange.Redis;

namespace SalesAuto.Core.Tests.RetryQueue;

/// <summary>
/// The queue's clock: Redis TIME in Unix ms, the same value the scripts compute (common.lua,
/// now_ms). Tests that need "the lease has expired" or "the item is due" wait until this clock
/// passes the time the queue stored, instead of sleeping on the client's clock and hoping the
/// two agree (they need not: another machine, or a busy one).
/// </summary>
internal static class RedisClock
{
    // Polling interval, not a margin: what the tests assert never depends on it.
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    public static async Task<long> NowAsync(IDatabase redis)
    {
        var time = (RedisResult[])(await redis.ExecuteAsync("TIME"))!;
        return ((long)time[0] * 1000) + ((long)time[1] / 1000);
    }

    /// <summary>Waits until Redis's clock reads at least <paramref name="unixMs"/>; returns the reading.</summary>
    public static async Task<long> WaitUntilAsync(IDatabase redis, long unixMs, CancellationToken cancellationToken)
    {
        while (true)
        {
            var now = await NowAsync(redis);
            if (now >= unixMs)
            {
                return now;
            }

            await Task.Delay(PollInterval, cancellationToken);
        }
    }

    /// <summary>The score <paramref name="member"/> has in the sorted set <paramref name="key"/> (a due time or a lease expiry, Unix ms).</summary>
    public static async Task<long> ScoreAsync(IDatabase redis, RedisKey key, RedisValue member)
    {
        var score = await redis.SortedSetScoreAsync(key, member);
        Assert.True(score.HasValue, $"{member} is not in {key}");
        return (long)score.Value;
    }

    /// <summary>
    /// Waits until the lease the queue stored for <paramref name="itemId"/> has expired on Redis's
    /// clock: a lease holds while its expiry is later than now (common.lua, holds_lease).
    /// </summary>
    public static async Task WaitPastLeaseAsync(IDatabase redis, RetryQueueKeys keys, string itemId, CancellationToken cancellationToken) =>
        await WaitUntilAsync(redis, await ScoreAsync(redis, keys.Leases, itemId), cancellationToken);
}
