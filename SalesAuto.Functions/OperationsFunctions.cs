using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using SalesAuto.Core.Http;

namespace SalesAuto.Functions;

/// <summary>Health, metrics (Core asks for a key when <c>Metrics:RequireKey</c> is set), the queue's status (Core checks the key) and the OpenAPI document.</summary>
public sealed class OperationsFunctions(RouteDispatcher routes)
{
    [Function(nameof(GetHealth))]
    public Task<IResult> GetHealth(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Routes.Health)] HttpRequest request,
        CancellationToken cancellationToken) =>
        routes.InvokeAsync(nameof(GetHealth), request, cancellationToken);

    [Function(nameof(GetMetrics))]
    public Task<IResult> GetMetrics(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Routes.Metrics)] HttpRequest request,
        CancellationToken cancellationToken) =>
        routes.InvokeAsync(nameof(GetMetrics), request, cancellationToken);

    [Function(nameof(GetOpenApi))]
    public Task<IResult> GetOpenApi(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Routes.OpenApi)] HttpRequest request,
        CancellationToken cancellationToken) =>
        routes.InvokeAsync(nameof(GetOpenApi), request, cancellationToken);

    [Function(nameof(GetQueueStatus))]
    public Task<IResult> GetQueueStatus(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Routes.QueueStatus)] HttpRequest request,
        CancellationToken cancellationToken) =>
        routes.InvokeAsync(nameof(GetQueueStatus), request, cancellationToken);
}
