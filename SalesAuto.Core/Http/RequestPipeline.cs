using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using SalesAuto.Core.Observability;

namespace SalesAuto.Core.Http;

/// <summary>
/// What happens around every request on both hosts, written once: the correlation id (taken or
/// made, echoed, a logging scope), the HTTP metrics by route template, and the last line of
/// defence that turns whatever escapes a handler into problem+json: 503 with Retry-After for a
/// dependency outage, the request's own status for a malformed request, 500 with the correlation
/// id (and no exception text) for a bug. SalesAuto.Server's middleware and the Functions worker
/// middleware are thin adapters over it, so both hosts log and count the same.
/// </summary>
public sealed class RequestPipeline(SalesAutoMetrics metrics, ILogger<RequestPipeline> logger)
{
    /// <summary>The <c>route</c> label of requests no route matched.</summary>
    public const string UnmatchedRoute = "unmatched";

    /// <summary>
    /// Runs <paramref name="next"/> inside the request's correlation scope. Returns null when it
    /// answered (or the client went away), else the problem the host must answer with.
    /// </summary>
    public async Task<IResult?> RunAsync(HttpContext context, Func<Task> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var id = CorrelationId.Apply(context);
        using (logger.BeginScope(new Dictionary<string, object> { ["CorrelationId"] = id }))
        {
            try
            {
                await next().ConfigureAwait(false);
                return null;
            }
            catch (BadHttpRequestException exception) when (!context.Response.HasStarted)
            {
                return exception.StatusCode == StatusCodes.Status413PayloadTooLarge
                    ? Problems.TooLarge(context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize ?? 0)
                    : Problems.BadRequest("The HTTP request is malformed.");
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                return null; // the client went away: nothing to answer
            }
            catch (Exception exception) when (!context.Response.HasStarted && Problems.ForDependencyFailure(exception) is { } unavailable)
            {
                Log.DependencyFailed(logger, exception.GetType().Name);
                return unavailable;
            }
            catch (Exception exception) when (!context.Response.HasStarted)
            {
                Log.UnhandledException(logger, exception.GetType().Name, exception);
                return Problems.Internal();
            }
        }
    }

    /// <summary>Counts a finished request under its route template (never the raw path).</summary>
    public void Observe(HttpContext context, string? route, long startedTimestamp)
    {
        ArgumentNullException.ThrowIfNull(context);
        metrics.ObserveHttpRequest(route ?? UnmatchedRoute, context.Request.Method, context.Response.StatusCode, Stopwatch.GetElapsedTime(startedTimestamp));
    }
}
