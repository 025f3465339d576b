using System.Diagnostics;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.Logging;
using SalesAuto.Core.Http;
using SalesAuto.Core.Observability;

namespace SalesAuto.Functions;

/// <summary>
/// For HTTP functions, what SalesAuto.Server's correlation, metrics and problem middleware do:
/// X-Request-ID taken or made, echoed, and set as <see cref="Microsoft.AspNetCore.Http.HttpContext.TraceIdentifier"/>
/// (problem+json bodies carry it); <c>salesauto_http_requests_total</c> by route template, never the
/// raw path; and a bug answered with problem+json 500 instead of an empty one.
/// </summary>
/// <remarks>
/// Registered after ConfigureFunctionsWebApplication, so it runs inside the ASP.NET Core integration's
/// own middleware: the HttpContext exists, and the IResult a function returns is executed after this
/// middleware has returned, which is why the status is read when the response completes.
/// </remarks>
internal sealed partial class HttpObservabilityMiddleware(SalesAutoMetrics metrics, ILogger<HttpObservabilityMiddleware> logger) : IFunctionsWorkerMiddleware
{
    // Function name -> "/api/" + template: the label SalesAuto.Server's endpoints get for the same route.
    private static readonly Dictionary<string, string> RouteLabels =
        Routes.All.ToDictionary(route => route.Name, route => $"/{Routes.Prefix}/{route.Template}", StringComparer.Ordinal);

    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        var http = context.GetHttpContext();
        if (http is null)
        {
            await next(context); // a timer
            return;
        }

        var id = CorrelationId.Apply(http);

        var route = RouteLabels.GetValueOrDefault(context.FunctionDefinition.Name, context.FunctionDefinition.Name);
        var started = Stopwatch.GetTimestamp();
        http.Response.OnCompleted(() =>
        {
            metrics.ObserveHttpRequest(route, http.Request.Method, http.Response.StatusCode, Stopwatch.GetElapsedTime(started));
            return Task.CompletedTask;
        });

        using (logger.BeginScope(new Dictionary<string, object> { ["CorrelationId"] = id }))
        {
            try
            {
                await next(context);
            }
            catch (Exception exception) when (!http.Response.HasStarted && !http.RequestAborted.IsCancellationRequested)
            {
                // The integration executes the invocation result as the response: a problem, not the host's empty 500.
                // A dependency outage is a 503 with Retry-After, as on SalesAuto.Server.
                if (Problems.ForDependencyFailure(exception) is { } unavailable)
                {
                    context.GetInvocationResult().Value = unavailable;
                    return;
                }

                Log.UnhandledException(logger, context.FunctionDefinition.Name, exception.GetType().Name, exception);
                context.GetInvocationResult().Value = Problems.Internal();
            }
        }
    }
}
