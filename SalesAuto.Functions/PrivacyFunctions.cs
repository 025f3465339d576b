using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using SalesAuto.Core.Http;

namespace SalesAuto.Functions;

/// <summary>
/// The privacy and audit admin API (docs/privacy.md). Anonymous at the host: Core checks the admin key.
/// POST keeps the person (in the body) out of URLs and access logs.
/// </summary>
public sealed class PrivacyFunctions(RouteDispatcher routes)
{
    [Function(nameof(ExportPersonalData))]
    public Task<IResult> ExportPersonalData(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = Routes.PrivacyExport)] HttpRequest request,
        CancellationToken cancellationToken) =>
        routes.InvokeAsync(nameof(ExportPersonalData), request, cancellationToken);

    [Function(nameof(ErasePersonalData))]
    public Task<IResult> ErasePersonalData(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = Routes.PrivacyErase)] HttpRequest request,
        CancellationToken cancellationToken) =>
        routes.InvokeAsync(nameof(ErasePersonalData), request, cancellationToken);

    [Function(nameof(ListAuditEntries))]
    public Task<IResult> ListAuditEntries(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Routes.Audit)] HttpRequest request,
        CancellationToken cancellationToken) =>
        routes.InvokeAsync(nameof(ListAuditEntries), request, cancellationToken);
}
