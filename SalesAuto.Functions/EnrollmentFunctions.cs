using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using SalesAuto.Core.Enrollments;
using SalesAuto.Core.Http;

namespace SalesAuto.Functions;

/// <summary>Enrollments and campaign statistics; a function key is required (header <c>x-functions-key</c> or query <c>code</c>).</summary>
public sealed class EnrollmentFunctions(EnrollmentEndpoints endpoints)
{
    [Function(nameof(UpsertEnrollment))]
    public Task<IResult> UpsertEnrollment(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = Routes.Enrollments)] HttpRequest request,
        CancellationToken cancellationToken) =>
        endpoints.UpsertAsync(request.HttpContext, cancellationToken);

    [Function(nameof(GetCampaignStats))]
    public Task<IResult> GetCampaignStats(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = Routes.CampaignStats)] HttpRequest request,
        string campaignId,
        CancellationToken cancellationToken) =>
        endpoints.GetCampaignStatsAsync(request.HttpContext, campaignId, cancellationToken);
}
