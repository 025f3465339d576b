namespace SalesAuto.Core.Http;

/// <summary>
/// The HTTP surface of DESIGN.md, defined once. Templates are relative to the <c>api</c> prefix
/// (the Functions host's <c>routePrefix</c>); SalesAuto.Server maps <see cref="Prefix"/> + template.
/// Nothing may start with <c>admin</c> or <c>runtime</c>: the Functions host reserves both.
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

    /// <summary><c>GET</c>: one dead letter.</summary>
    public const string DeadLetter = "dlq/{id}";

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

    /// <summary>Who may call a route.</summary>
    public enum Access
    {
        /// <summary>No key: the handler verifies the caller itself (webhook signatures) or the route is public.</summary>
        Anonymous,

        /// <summary>An admin key (Functions: a function key).</summary>
        Key,

        /// <summary>Public unless <c>Metrics:RequireKey</c> is true.</summary>
        MetricsKey,
    }

    /// <summary>One row of the route table.</summary>
    /// <param name="Name">The stable name both hosts use (the Functions function name).</param>
    /// <param name="Method">The HTTP method.</param>
    /// <param name="Template">The template under <see cref="Prefix"/>.</param>
    /// <param name="Access">Who may call it.</param>
    public sealed record RouteDefinition(string Name, string Method, string Template, Access Access);

    /// <summary>Every route both hosts serve, nothing else.</summary>
    public static IReadOnlyList<RouteDefinition> All { get; } =
    [
        new("ReceiveWebhook", "POST", Webhook, Access.Anonymous),
        new("UpsertEnrollment", "POST", Enrollments, Access.Key),
        new("GetCampaignStats", "GET", CampaignStats, Access.Key),
        new("ListDeadLetters", "GET", DeadLetters, Access.Key),
        new("GetDeadLetter", "GET", DeadLetter, Access.Key),
        new("ReplayDeadLetters", "POST", DeadLetterReplay, Access.Key),
        new("IgnoreDeadLetters", "POST", DeadLetterIgnore, Access.Key),
        new("GetDeadLetterStats", "GET", DeadLetterStats, Access.Key),
        new("GetOpenApi", "GET", OpenApi, Access.Anonymous),
        new("GetHealth", "GET", Health, Access.Anonymous),
        new("GetMetrics", "GET", Metrics, Access.MetricsKey),
    ];
}
