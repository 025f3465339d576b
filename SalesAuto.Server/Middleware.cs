using System.Diagnostics;
using Microsoft.Extensions.Options;
using SalesAuto.Core.Http;

namespace SalesAuto.Server;

/// <summary>
/// Core's <see cref="RequestPipeline"/> around every request (correlation id, metrics by route
/// template, problem answers for whatever escapes a handler), plus problem+json for the empty
/// 404 and 405 that routing leaves.
/// </summary>
internal sealed class SalesAutoHttpMiddleware(RequestDelegate next, RequestPipeline pipeline)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var problem = await pipeline.RunAsync(context, () => next(context));
            if (problem is not null)
            {
                await problem.ExecuteAsync(context);
            }
            else if (!context.Response.HasStarted && context.Response.StatusCode >= 400 && context.Response.ContentType is null && context.Response.ContentLength is null)
            {
                await StatusProblem(context).ExecuteAsync(context);
            }
        }
        finally
        {
            pipeline.Observe(context, (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText, started);
        }
    }

    private static ProblemResult StatusProblem(HttpContext context) => context.Response.StatusCode switch
    {
        StatusCodes.Status404NotFound => Problems.NoRoute(context.Request),
        StatusCodes.Status405MethodNotAllowed => Problems.MethodNotAllowed(context.Request),
        var status => new ProblemResult(status, "http-" + status.ToString(System.Globalization.CultureInfo.InvariantCulture), "Request failed.", $"The request failed with status {status}."),
    };
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
