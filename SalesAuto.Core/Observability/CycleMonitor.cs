using System.Globalization;
using Microsoft.Extensions.Options;
using SalesAuto.Core.RetryQueue;
using StackExchange.Redis;

namespace SalesAuto.Core.Observability;

/// <summary>
/// Knows when the retry cycle last completed, on any instance: the cycle writes the time to Redis,
/// so every instance's health check sees the same answer (a Functions app runs the timer on one
/// instance only). No completed cycle in three schedule intervals means orphans are not being
/// retried: "degraded".
/// </summary>
public sealed class CycleMonitor(IOptions<RetryQueueOptions> options, IConnectionMultiplexer redis, TimeProvider time)
{
    /// <summary>How many intervals without a completed cycle make the service degraded.</summary>
    public const int StaleIntervals = 3;

    private readonly RetryQueueKeys _keys = new(options.Value.KeyPrefix);
    private readonly DateTimeOffset _startedAt = time.GetUtcNow();

    /// <summary>Records a completed cycle (one that ran or found nothing to do).</summary>
    public async Task RecordCompletedAsync()
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await redis.GetDatabase().StringSetAsync(_keys.CycleCompleted, now.ToString(CultureInfo.InvariantCulture), TimeSpan.FromDays(7)).ConfigureAwait(false);
    }

    /// <summary>The cycle's health and, when it is stale, since when. Throws when Redis cannot be read.</summary>
    public async Task<(bool Healthy, DateTimeOffset? LastCompletedAt, DateTimeOffset? StaleSince)> CheckAsync()
    {
        var stored = await redis.GetDatabase().StringGetAsync(_keys.CycleCompleted).ConfigureAwait(false);
        DateTimeOffset? lastCompleted = stored.HasValue && stored.TryParse(out long ms) ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

        // Before any cycle has completed anywhere, the clock starts when this instance did.
        var reference = lastCompleted ?? _startedAt;
        var staleAt = reference + (options.Value.ScheduleInterval() * StaleIntervals);
        return time.GetUtcNow() < staleAt ? (true, lastCompleted, null) : (false, lastCompleted, staleAt);
    }
}
