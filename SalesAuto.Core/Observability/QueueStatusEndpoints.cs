using Microsoft.AspNetCore.Http;
using SalesAuto.Core.Http;
using StackExchange.Redis;

namespace SalesAuto.Core.Observability;

/// <summary>
/// <c>GET /api/queue</c>: the retry queue's depth now, the last completed retry cycle and the last
/// hour of <see cref="QueueHistory"/>, for the console's overview. The reading is the one the
/// gauges hold, refreshed first when older than <see cref="MetricsRefresher.MaxAge"/>; a
/// dependency that cannot be read is a null, not an error, so the page still shows the rest.
/// </summary>
internal sealed class QueueStatusEndpoints(MetricsRefresher refresher, QueueHistory history, CycleMonitor cycle)
{
    private static readonly TimeSpan CycleReadTimeout = TimeSpan.FromSeconds(3);

    /// <summary>Answers the status (never cached: live state).</summary>
    public async Task<IResult> GetAsync(HttpContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        await refresher.RefreshIfStaleAsync(cancellationToken).ConfigureAwait(false);
        var latest = history.Latest;
        DateTimeOffset? lastCompleted = null;
        try
        {
            (_, lastCompleted, _) = await cycle.CheckAsync(cancellationToken).WaitAsync(CycleReadTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            // Redis is down: the depth is null too, and /api/health says why.
        }

        var depth = latest?.Due is { } due && latest.Leased is { } leased
            ? new Depth(due, leased, latest.OldestDueAgeSeconds ?? 0)
            : null;
        context.Response.Headers.CacheControl = "no-store";
        return Results.Json(
            new Status(
                latest?.At,
                depth,
                latest?.UnresolvedDeadLetters,
                lastCompleted,
                new History((int)QueueHistory.Interval.TotalSeconds, (int)QueueHistory.Span.TotalSeconds, history.Samples())),
            JsonDefaults.Options);
    }

    private sealed record Status(DateTimeOffset? SampledAt, Depth? Depth, long? UnresolvedDeadLetters, DateTimeOffset? LastCompletedCycleAt, History History);

    private sealed record Depth(long Due, long Leased, double OldestDueAgeSeconds);

    private sealed record History(int IntervalSeconds, int SpanSeconds, IReadOnlyList<QueueSample> Samples);
}
