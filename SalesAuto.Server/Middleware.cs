using System.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using SalesAuto.Core.Http;
using SalesAuto.Core.Observability;

namespace SalesAuto.Server;

/// <summary>
/// X-Request-ID: taken from the caller when it is a sane token, made otherwise; echoed in the
/// response, the request's <see cref="HttpContext.TraceIdentifier"/> (which problem+json bodies
/// carry) and a logging scope, so every log line of the request names it.
/// </summary>
internal sealed class CorrelationMiddleware(RequestDelegate next, ILogger<CorrelationMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var id = CorrelationId.Apply(context);
        using (logger.BeginScope(new Dictionary<string, object> { ["CorrelationId"] = id }))
        {
            await next(context);
        }
    }
}

/// <summary>Counts every request by route template (never the raw path), method and status.</summary>
internal sealed class HttpMetricsMiddleware(RequestDelegate next, SalesAutoMetrics metrics)
{
    public const string UnmatchedRoute = "unmatched";

    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? UnmatchedRoute;
            metrics.ObserveHttpRequest(route, context.Request.Method, context.Response.StatusCode, Stopwatch.GetElapsedTime(started));
        }
    }
}

/// <summary>
/// The last line of defence: whatever escapes a handler becomes problem+json. Kestrel's own
/// request errors keep their status (413 body too large, 400 malformed); anything else is a bug,
/// answered 500 with the correlation id and no exception text.
/// </summary>
internal sealed partial class ProblemExceptionMiddleware(RequestDelegate next, ILogger<ProblemExceptionMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
            if (!context.Response.HasStarted && context.Response.StatusCode >= 400 && context.Response.ContentType is null && context.Response.ContentLength is null)
            {
                // An empty 404 or 405 from routing still answers in problem+json.
                await StatusProblem(context).ExecuteAsync(context);
            }
        }
        catch (BadHttpRequestException exception) when (!context.Response.HasStarted)
        {
            var problem = exception.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? Problems.TooLarge(context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize ?? 0)
                : Problems.BadRequest("The HTTP request is malformed.");
            await problem.ExecuteAsync(context);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away: nothing to answer.
        }
        catch (Exception exception) when (!context.Response.HasStarted && Problems.ForDependencyFailure(exception) is { } unavailable)
        {
            DependencyFailed(logger, exception.GetType().Name);
            await unavailable.ExecuteAsync(context);
        }
        catch (Exception exception) when (!context.Response.HasStarted)
        {
            UnhandledException(logger, exception.GetType().Name, exception);
            await Problems.Internal().ExecuteAsync(context);
        }
    }

    private static ProblemResult StatusProblem(HttpContext context) => context.Response.StatusCode switch
    {
        StatusCodes.Status404NotFound => Problems.NoRoute(context.Request),
        StatusCodes.Status405MethodNotAllowed => Problems.MethodNotAllowed(context.Request),
        var status => new ProblemResult(status, "http-" + status.ToString(System.Globalization.CultureInfo.InvariantCulture), "Request failed.", $"The request failed with status {status}."),
    };

    // No exception object: a Postgres message can quote row values.
    [LoggerMessage(EventId = 9002, Level = LogLevel.Warning, Message = "A dependency failed ({ExceptionType}); answered 503")]
    private static partial void DependencyFailed(ILogger logger, string exceptionType);

    [LoggerMessage(EventId = 9001, Level = LogLevel.Error, Message = "Unhandled {ExceptionType} answered with 500")]
    private static partial void UnhandledException(ILogger logger, string exceptionType, Exception exception);
}

/// <summary>
/// CORS preflights of the admin routes: answered for Admin:AllowedOrigins, 403 for any other
/// origin. Actual cross-origin requests are checked by Core's <see cref="AdminAuthorizer"/> on both
/// hosts; on Azure Functions the platform's CORS setting answers preflights (docs/deploy.md).
/// </summary>
internal sealed class AdminCorsMiddleware(RequestDelegate next, IOptionsMonitor<AdminOptions> options)
{
    // The first path segment of every key-protected route, taken from Core's route table.
    private static readonly HashSet<string> AdminSegments = Routes.All
        .Where(route => route.Access == Routes.Access.Key)
        .Select(route => route.Template.Split('/')[0])
        .ToHashSet(StringComparer.OrdinalIgnoreCase);

    public async Task InvokeAsync(HttpContext context)
    {
        string? origin = context.Request.Headers.Origin;
        var preflight = HttpMethods.IsOptions(context.Request.Method) && context.Request.Headers.ContainsKey("Access-Control-Request-Method");
        if (!preflight || string.IsNullOrEmpty(origin) || !IsAdminPath(context.Request.Path))
        {
            await next(context);
            return;
        }

        if (!options.CurrentValue.AllowedOrigins.Any(allowed => string.Equals(allowed.TrimEnd('/'), origin, StringComparison.OrdinalIgnoreCase)))
        {
            await Problems.ForbiddenOrigin(origin).ExecuteAsync(context);
            return;
        }

        var headers = context.Response.Headers;
        headers.AccessControlAllowOrigin = origin;
        headers.Vary = "Origin";
        headers.AccessControlAllowMethods = "GET, POST";
        headers.AccessControlAllowHeaders = $"Content-Type, {AdminKeyValidator.HeaderName}, {CorrelationId.HeaderName}";
        headers.AccessControlMaxAge = "600";
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private static bool IsAdminPath(PathString path)
    {
        var segments = path.Value?.Split('/', StringSplitOptions.RemoveEmptyEntries) ?? [];
        return segments.Length >= 2 && string.Equals(segments[0], Routes.Prefix, StringComparison.OrdinalIgnoreCase) && AdminSegments.Contains(segments[1]);
    }
}
