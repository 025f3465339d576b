using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using SalesAuto.Core.Console;
using SalesAuto.Core.DeadLetters;
using SalesAuto.Core.Enrollments;
using SalesAuto.Core.Observability;
using SalesAuto.Core.Webhooks;

namespace SalesAuto.Core.Http;

/// <summary>
/// The HTTP surface of DESIGN.md, defined once, with each route's handler: SalesAuto.Server maps
/// this table in a loop and the Functions app has one one-line function per row, named and routed
/// from it, so a route cannot exist on one host only. Templates are relative to the <c>api</c>
/// prefix (the Functions host's <c>routePrefix</c>). Nothing may start with <c>admin</c> or
/// <c>runtime</c> (the Functions host reserves both), and parameters carry constraints: the
/// Functions host matches routes first-match in function-name order, so an unconstrained
/// <c>dlq/{id}</c> would capture <c>dlq/stats</c>.
/// </summary>
public static class Routes
{
    /// <summary>The route prefix both hosts serve under.</summary>
    public const string Prefix = "api";

    /// <summary><c>POST</c>: receive a provider's webhook.</summary>
    public const string Webhook = "webhooks/{source}";

    /// <summary><c>POST</c>: create or update an enrollment.</summary>
    public const string Enrollments = "enrollments";

    /// <summary><c>GET</c>: exact campaign statistics.</summary>
    public const string CampaignStats = "campaigns/{campaignId}/stats";

    /// <summary><c>GET</c>: list dead letters.</summary>
    public const string DeadLetters = "dlq";

    /// <summary><c>GET</c>: one dead letter (a UUID: <c>dlq/stats</c> must never reach it).</summary>
    public const string DeadLetter = "dlq/{id:guid}";

    /// <summary><c>POST</c>: replay dead letters.</summary>
    public const string DeadLetterReplay = "dlq/replay";

    /// <summary><c>POST</c>: mark dead letters ignored.</summary>
    public const string DeadLetterIgnore = "dlq/ignore";

    /// <summary><c>GET</c>: dead-letter counts.</summary>
    public const string DeadLetterStats = "dlq/stats";

    /// <summary><c>GET</c>: the OpenAPI document of the admin routes.</summary>
    public const string OpenApi = "openapi.json";

    /// <summary><c>GET</c>: health.</summary>
    public const string Health = "health";

    /// <summary><c>GET</c>: Prometheus exposition.</summary>
    public const string Metrics = "metrics";

    /// <summary><c>GET</c>: the retry queue's depth, last completed cycle and last hour (the console's overview).</summary>
    public const string QueueStatus = "queue";

    /// <summary><c>GET</c>: the operator console's page (public: it holds no data; its calls carry the key).</summary>
    public const string Console = "console";

    /// <summary>
    /// <c>GET</c>: one of the console's embedded files. Unconstrained on purpose: no other route has
    /// two segments under <c>console</c>, and the handler serves only names in its fixed table.
    /// </summary>
    public const string ConsoleAsset = "console/{asset}";

    /// <summary>Who may call a route. Core decides on both hosts (<see cref="AdminAuthorizer"/>); the Functions host lets every request through (anonymous).</summary>
    public enum Access
    {
        /// <summary>No key: the handler verifies the caller itself (webhook signatures) or the route is public.</summary>
        Anonymous,

        /// <summary>An admin key (<c>Admin:Keys:{name}</c>), with the admin rate limit and CORS rules.</summary>
        Key,

        /// <summary>Public unless <c>Metrics:RequireKey</c> is true, then as <see cref="Key"/>.</summary>
        MetricsKey,
    }

    /// <summary>What serves a route: reads the request, calls one Core service, returns its answer.</summary>
    /// <param name="context">The request; route values are in <see cref="HttpRequest.RouteValues"/>.</param>
    /// <param name="cancellationToken">Cancelled when the caller goes away.</param>
    public delegate Task<IResult> Handler(HttpContext context, CancellationToken cancellationToken);

    /// <summary>One row of the route table.</summary>
    /// <param name="Name">The stable name both hosts use (the Functions function name).</param>
    /// <param name="Method">The HTTP method.</param>
    /// <param name="Template">The template under <see cref="Prefix"/>.</param>
    /// <param name="Access">Who may call it.</param>
    /// <param name="Handle">The Core handler.</param>
    public sealed record RouteDefinition(string Name, string Method, string Template, Access Access, Handler Handle)
    {
        /// <summary>The route template as both hosts label it in metrics: <c>/api/</c> + template.</summary>
        public string Label => $"/{Prefix}/{Template}";

        /// <summary>The template without parameter constraints, as OpenAPI writes paths (<c>dlq/{id}</c>).</summary>
        public string OpenApiPath => "/" + System.Text.RegularExpressions.Regex.Replace(Template, @"\{(\w+):[^}]+\}", "{$1}");
    }

    /// <summary>Every route both hosts serve, nothing else.</summary>
    public static IReadOnlyList<RouteDefinition> All { get; } =
    [
        new("ReceiveWebhook", "POST", Webhook, Access.Anonymous, (c, ct) => Service<WebhookEndpoints>(c).ReceiveAsync(c, RouteValue(c, "source"), ct)),
        new("UpsertEnrollment", "POST", Enrollments, Access.Key, (c, ct) => Service<EnrollmentEndpoints>(c).UpsertAsync(c, ct)),
        new("GetCampaignStats", "GET", CampaignStats, Access.Key, (c, ct) => Service<EnrollmentEndpoints>(c).GetCampaignStatsAsync(c, RouteValue(c, "campaignId"), ct)),
        new("ListDeadLetters", "GET", DeadLetters, Access.Key, (c, ct) => Service<DeadLetterEndpoints>(c).ListAsync(c, ct)),
        new("GetDeadLetter", "GET", DeadLetter, Access.Key, (c, ct) => Service<DeadLetterEndpoints>(c).GetAsync(c, RouteValue(c, "id"), ct)),
        new("ReplayDeadLetters", "POST", DeadLetterReplay, Access.Key, (c, ct) => Service<DeadLetterEndpoints>(c).ReplayAsync(c, ct)),
        new("IgnoreDeadLetters", "POST", DeadLetterIgnore, Access.Key, (c, ct) => Service<DeadLetterEndpoints>(c).IgnoreAsync(c, ct)),
        new("GetDeadLetterStats", "GET", DeadLetterStats, Access.Key, (c, ct) => Service<DeadLetterEndpoints>(c).GetStatsAsync(c, ct)),
        new("GetOpenApi", "GET", OpenApi, Access.Anonymous, (c, _) => Task.FromResult(Service<OpenApiEndpoint>(c).Get(c))),
        new("GetHealth", "GET", Health, Access.Anonymous, (c, ct) => Service<HealthEndpoints>(c).GetHealthAsync(c, ct)),
        new("GetMetrics", "GET", Metrics, Access.MetricsKey, (c, ct) => Service<HealthEndpoints>(c).GetMetricsAsync(c, ct)),
        new("GetQueueStatus", "GET", QueueStatus, Access.Key, (c, ct) => Service<QueueStatusEndpoints>(c).GetAsync(c, ct)),
        new("GetConsole", "GET", Console, Access.Anonymous, (c, _) => Task.FromResult(Service<ConsoleEndpoints>(c).GetPage(c))),
        new("GetConsoleAsset", "GET", ConsoleAsset, Access.Anonymous, (c, _) => Task.FromResult(Service<ConsoleEndpoints>(c).GetAsset(c, RouteValue(c, "asset")))),
    ];

    /// <summary>The route called <paramref name="name"/>.</summary>
    public static RouteDefinition Named(string name) =>
        All.FirstOrDefault(route => string.Equals(route.Name, name, StringComparison.Ordinal))
        ?? throw new ArgumentOutOfRangeException(nameof(name), name, "No route of Core's route table has this name.");

    private static T Service<T>(HttpContext context)
        where T : notnull => context.RequestServices.GetRequiredService<T>();

    private static string RouteValue(HttpContext context, string name) =>
        context.GetRouteValue(name) as string ?? string.Empty;
}
