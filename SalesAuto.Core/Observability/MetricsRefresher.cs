using Npgsql;
using SalesAuto.Core.DeadLetters;
using SalesAuto.Core.Resilience;
using SalesAuto.Core.RetryQueue;

namespace SalesAuto.Core.Observability;

/// <summary>
/// Keeps the gauges current without a scan per scrape: the queue's depth comes from ZCARD and
/// its oldest due item from one ZRANGE, both O(1)/O(log n); unresolved dead letters from the
/// trigger-kept counts table. A scrape refreshes them only when the last refresh is older than
/// <see cref="MaxAge"/> (the cycle refreshes them too). Each refresh also offers its reading to
/// <see cref="QueueHistory"/>, the console's last hour.
/// </summary>
public sealed class MetricsRefresher(IRetryQueue queue, IDeadLetterStore deadLetters, SalesAutoMetrics metrics, QueueHistory history, TimeProvider time, DependencyCircuits circuits)
{
    /// <summary>How stale the gauges may be before a scrape refreshes them.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(5);

    private long _refreshedAtTicks;

    /// <summary>Refreshes the gauges if they are older than <see cref="MaxAge"/>; a Redis outage leaves them as they were.</summary>
    public async Task RefreshIfStaleAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (now.UtcTicks - Interlocked.Read(ref _refreshedAtTicks) < MaxAge.Ticks)
        {
            return;
        }

        await RefreshAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads the queue's depth and the unresolved dead letters now; an outage leaves a gauge as it was.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        // Stamped first: during an outage a scrape waits for a timeout at most once per MaxAge.
        var now = time.GetUtcNow();
        Interlocked.Exchange(ref _refreshedAtTicks, now.UtcTicks);
        var depth = await RefreshQueueAsync(cancellationToken).ConfigureAwait(false);
        var unresolved = await RefreshDeadLettersAsync(cancellationToken).ConfigureAwait(false);
        history.Record(new QueueSample(now, depth?.Due, depth?.Leased, depth?.OldestDueAge.TotalSeconds, unresolved));
    }

    // dead_letter_counts is kept exact by triggers: a handful of rows, whatever the table's size.
    private async Task<long?> RefreshDeadLettersAsync(CancellationToken cancellationToken)
    {
        try
        {
            // Through the breaker: a scrape during a stall must still answer (it shows the breaker's state).
            var unresolved = await circuits.Postgres.ExecuteAsync(token => deadLetters.CountUnresolvedAsync(token), cancellationToken).ConfigureAwait(false);
            metrics.DeadLettersUnresolved.Set(unresolved);
            return unresolved;
        }
        catch (NpgsqlException)
        {
            metrics.PostgresErrors.Inc();
            return null;
        }
    }

    private async Task<QueueDepth?> RefreshQueueAsync(CancellationToken cancellationToken)
    {
        try
        {
            var depth = await queue.GetDepthAsync(cancellationToken).ConfigureAwait(false);
            metrics.OrphanQueueDepth.WithLabels("due").Set(depth.Due);
            metrics.OrphanQueueDepth.WithLabels("leased").Set(depth.Leased);
            metrics.OrphanOldestDueAge.Set(depth.OldestDueAge.TotalSeconds);
            return depth;
        }
        catch (RetryQueueUnavailableException)
        {
            metrics.RedisErrors.Inc();
            return null;
        }
    }
}
