using SalesAuto.Core.RetryQueue;

namespace SalesAuto.Core.Observability;

/// <summary>
/// Keeps the queue gauges current without a scan per scrape: the queue's depth comes from
/// ZCARD and its oldest due item from one ZRANGE, both O(1)/O(log n), and a scrape refreshes them
/// only when the last refresh is older than <see cref="MaxAge"/> (the cycle refreshes them too).
/// </summary>
public sealed class MetricsRefresher(IRetryQueue queue, SalesAutoMetrics metrics, TimeProvider time)
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

    /// <summary>Reads the queue's depth now.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        try
        {
            var depth = await queue.GetDepthAsync(cancellationToken).ConfigureAwait(false);
            var now = time.GetUtcNow();
            metrics.OrphanQueueDepth.WithLabels("due").Set(depth.Due);
            metrics.OrphanQueueDepth.WithLabels("leased").Set(depth.Leased);
            metrics.OrphanOldestDueAge.Set(depth.OldestDueAge.TotalSeconds);
            Interlocked.Exchange(ref _refreshedAtTicks, now.UtcTicks);
        }
        catch (RetryQueueUnavailableException)
        {
            metrics.RedisErrors.Inc();
        }
    }
}
