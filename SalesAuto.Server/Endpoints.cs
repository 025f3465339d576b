using SalesAuto.Core.DeadLetters;
using SalesAuto.Core.Enrollments;
using SalesAuto.Core.Http;
using SalesAuto.Core.Observability;
using SalesAuto.Core.Webhooks;

namespace SalesAuto.Server;

/// <summary>Maps Core's route table onto Kestrel, one handler per route name, the same handlers the Functions app calls.</summary>
internal static class Endpoints
{
    public static void MapSalesAutoRoutes(this IEndpointRouteBuilder app)
    {
        foreach (var route in Routes.All)
        {
            var builder = app.MapMethods($"/{Routes.Prefix}/{route.Template}", [route.Method], Handler(route.Name)).WithName(route.Name);
            // Metrics:RequireKey is enforced by Core's handler itself, the same on both hosts.
            if (route.Access == Routes.Access.Key)
            {
                builder.AddEndpointFilter(RequireAdminKey).RequireRateLimiting(ServerSetup.AdminRateLimitPolicy);
            }
        }
    }

    private static Delegate Handler(string name) => name switch
    {
        "ReceiveWebhook" => (HttpContext context, string source, WebhookEndpoints webhooks) => webhooks.ReceiveAsync(context, source, context.RequestAborted),
        "UpsertEnrollment" => (HttpContext context, EnrollmentEndpoints enrollments) => enrollments.UpsertAsync(context, context.RequestAborted),
        "GetCampaignStats" => (HttpContext context, string campaignId, EnrollmentEndpoints enrollments) => enrollments.GetCampaignStatsAsync(context, campaignId, context.RequestAborted),
        "GetHealth" => (HttpContext context, HealthEndpoints health) => health.GetHealthAsync(context, context.RequestAborted),
        "GetMetrics" => (HttpContext context, HealthEndpoints health) => health.GetMetricsAsync(context, context.RequestAborted),
        "ListDeadLetters" => (HttpContext context, DeadLetterEndpoints e) => e.ListAsync(context, context.RequestAborted),
        "GetDeadLetter" => (HttpContext context, string id, DeadLetterEndpoints e) => e.GetAsync(context, id, context.RequestAborted),
        "ReplayDeadLetters" => (HttpContext context, DeadLetterEndpoints e) => e.ReplayAsync(context, context.RequestAborted),
        "IgnoreDeadLetters" => (HttpContext context, DeadLetterEndpoints e) => e.IgnoreAsync(context, context.RequestAborted),
        "GetDeadLetterStats" => (HttpContext context, DeadLetterEndpoints e) => e.GetStatsAsync(context, context.RequestAborted),
        "GetOpenApi" => (HttpContext context, OpenApiEndpoint e) => e.Get(context),
        _ => throw new InvalidOperationException($"Route '{name}' of Core's route table has no handler in SalesAuto.Server."),
    };

    private static async ValueTask<object?> RequireAdminKey(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var caller = http.RequestServices.GetRequiredService<AdminKeyValidator>().Authenticate(http.Request);
        if (caller is null)
        {
            return Problems.Unauthorized("key-invalid", $"A valid admin key is required in the {AdminKeyValidator.HeaderName} header or the {AdminKeyValidator.QueryName} query parameter.");
        }

        http.Items[AdminKeyValidator.CallerItem] = caller;
        return await next(context);
    }
}
