using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using SalesAuto.Core.Http;

namespace SalesAuto.Functions;

/// <summary><c>POST /api/webhooks/{source}</c>: each source proves its deliveries itself (signature or token), which Core verifies.</summary>
public sealed class WebhookFunctions(RouteDispatcher routes)
{
    [Function(nameof(ReceiveWebhook))]
    public Task<IResult> ReceiveWebhook(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = Routes.Webhook)] HttpRequest request,
        string source,
        CancellationToken cancellationToken) =>
        routes.InvokeAsync(nameof(ReceiveWebhook), request, cancellationToken, (nameof(source), source));
}
