using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using SalesAuto.Core.Http;

namespace SalesAuto.Functions;

/// <summary>
/// Enrollments and campaign statistics. Anonymous at the host: Core checks the admin key
/// (<c>Admin:Keys</c>), so the 401, the rate limit and the audit name are the same on both hosts.
/// </summary>
public sealed class EnrollmentFunctions(RouteDispatcher routes)
{
    [Function(nameof(UpsertEnrollment))]
    public Task<IResult> UpsertEnrollment(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = Routes.Enrollments)] HttpRequest request,
        CancellationToken cancellationToken) =>
        routes.InvokeAsync(nameof(UpsertEnrollment), request, cancellationToken);

    [Function(nameof(GetCampaignStats))]
    public Task<IResult> GetCampaignStats(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Routes.CampaignStats)] HttpRequest request,
        string campaignId,
        CancellationToken cancellationToken) =>
        routes.InvokeAsync(nameof(GetCampaignStats), request, cancellationToken, (nameof(campaignId), campaignId));
}
