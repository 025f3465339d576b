using System.Diagnostics;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using SalesAuto.Core.Http;

namespace SalesAuto.Functions;

/// <summary>
/// Core's <see cref="RequestPipeline"/> around every HTTP function, as SalesAuto.Server runs it
/// around every request: the same correlation id, metrics labels, problem answers and log lines.
/// </summary>
/// <remarks>
/// Registered after ConfigureFunctionsWebApplication, so it runs inside the ASP.NET Core
/// integration's own middleware: the HttpContext exists, and the IResult a function returns is
/// executed after this middleware has returned, which is why the status is counted when the
/// response completes, and a problem is handed back as the invocation result.
/// </remarks>
internal sealed class HttpObservabilityMiddleware(RequestPipeline pipeline) : IFunctionsWorkerMiddleware
{
    // Function name -> "/api/" + template: the label SalesAuto.Server's endpoints get for the same route.
    private static readonly Dictionary<string, string> RouteLabels =
        Routes.All.ToDictionary(route => route.Name, route => route.Label, StringComparer.Ordinal);

    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        var http = context.GetHttpContext();
        if (http is null)
        {
            await next(context); // a timer
            return;
        }

        var started = Stopwatch.GetTimestamp();
        var route = RouteLabels.GetValueOrDefault(context.FunctionDefinition.Name);
        http.Response.OnCompleted(() =>
        {
            pipeline.Observe(http, route, started);
            return Task.CompletedTask;
        });

        if (await pipeline.RunAsync(http, () => next(context)) is { } problem)
        {
            context.GetInvocationResult().Value = problem;
        }
    }
}
