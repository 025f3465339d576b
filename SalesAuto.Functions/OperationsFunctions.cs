using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using SalesAuto.Core.Http;
using SalesAuto.Core.Observability;

namespace SalesAuto.Functions;

/// <summary>
/// Health, metrics and the OpenAPI document: anonymous at the host. <c>GET /api/metrics</c> checks
/// <c>Metrics:RequireKey</c> against <c>Admin:Keys</c> itself, so the host must not ask for a function key.
/// </summary>
public sealed class OperationsFunctions(HealthEndpoints health, OpenApiEndpoint openApi)
{
    [Function(nameof(GetHealth))]
    public Task<IResult> GetHealth(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Routes.Health)] HttpRequest request,
        CancellationToken cancellationToken) =>
        health.GetHealthAsync(request.HttpContext, cancellationToken);

    [Function(nameof(GetMetrics))]
    public Task<IResult> GetMetrics(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Routes.Metrics)] HttpRequest request,
        CancellationToken cancellationToken) =>
        health.GetMetricsAsync(request.HttpContext, cancellationToken);

    [Function(nameof(GetOpenApi))]
    public IResult GetOpenApi(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Routes.OpenApi)] HttpRequest request) =>
        openApi.Get(request.HttpContext);
}
