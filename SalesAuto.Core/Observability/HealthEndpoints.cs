using Microsoft.AspNetCore.Http;
using SalesAuto.Core.Http;

namespace SalesAuto.Core.Observability;

/// <summary><c>GET /api/health</c> and <c>GET /api/metrics</c>, shared by both hosts.</summary>
internal sealed class HealthEndpoints(HealthService health, SalesAutoMetrics metrics, MetricsRefresher refresher)
{
    /// <summary>200 healthy or degraded, 503 unhealthy, with a per-component breakdown.</summary>
    public async Task<IResult> GetHealthAsync(HttpContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var report = await health.CheckAsync(cancellationToken).ConfigureAwait(false);
        context.Response.Headers.CacheControl = "no-store";
        return JsonAnswer.Of(report, report.Status == HealthStatus.Unhealthy ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK);
    }

    /// <summary>
    /// The Prometheus text exposition of this instance's registry. <c>Metrics:RequireKey</c> is
    /// enforced before this runs, by <see cref="AdminAuthorizer"/>, the same on both hosts.
    /// </summary>
    public async Task<IResult> GetMetricsAsync(HttpContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        await refresher.RefreshIfStaleAsync(cancellationToken).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        await metrics.Registry.CollectAndExportAsTextAsync(buffer, cancellationToken).ConfigureAwait(false);
        return Results.Bytes(buffer.ToArray(), "text/plain; version=0.0.4; charset=utf-8");
    }
}
