using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using SalesAuto.Core.Http;
using SalesAuto.Core.Webhooks;

namespace SalesAuto.Functions;

/// <summary>
/// <c>POST /api/webhooks/{source}</c>. Anonymous at the host: each source proves its deliveries
/// itself (signature or token), which Core verifies.
/// </summary>
public sealed class WebhookFunctions(WebhookEndpoints endpoints)
{
    [Function(nameof(ReceiveWebhook))]
    public Task<IResult> ReceiveWebhook(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = Routes.Webhook)] HttpRequest request,
        string source,
        CancellationToken cancellationToken) =>
        endpoints.ReceiveAsync(request.HttpContext, source, cancellationToken);
}
