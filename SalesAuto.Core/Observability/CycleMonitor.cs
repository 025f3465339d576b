using Microsoft.Extensions.Options;
using SalesAuto.Core.RetryQueue;

namespace SalesAuto.Core.Observability;

/// <summary>
/// Knows when the retry cycle last completed, on any instance: the cycle records the time in the
/// retry queue (<see cref="IRetryQueue.RecordCycleCompletedAsync"/>), so every instance's health
/// check sees the same answer (a Functions app runs the timer on one instance only). No completed
/// cycle in three schedule intervals means orphans are not being retried: "degraded".
/// </summary>
public sealed class CycleMonitor(IOptions<RetryQueueOptions> options, IRetryQueue queue, TimeProvider time)
{
    /// <summary>How many intervals without a completed cycle make the service degraded.</summary>
    public const int StaleIntervals = 3;

    private readonly DateTimeOffset _startedAt = time.GetUtcNow();

    /// <summary>Records a completed cycle (one that ran or found nothing to do).</summary>
    public Task RecordCompletedAsync(CancellationToken cancellationToken) =>
        queue.RecordCycleCompletedAsync(time.GetUtcNow(), cancellationToken);

    /// <summary>The cycle's health and, when it is stale, since when. Throws when Redis cannot be read.</summary>
    public async Task<(bool Healthy, DateTimeOffset? LastCompletedAt, DateTimeOffset? StaleSince)> CheckAsync(CancellationToken cancellationToken)
    {
        var lastCompleted = await queue.GetLastCycleCompletedAsync(cancellationToken).ConfigureAwait(false);

        // Before any cycle has completed anywhere, the clock starts when this instance did.
        var reference = lastCompleted ?? _startedAt;
        var staleAt = reference + (options.Value.ScheduleInterval() * StaleIntervals);
        return time.GetUtcNow() < staleAt ? (true, lastCompleted, null) : (false, lastCompleted, staleAt);
    }
}
