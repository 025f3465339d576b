using Microsoft.AspNetCore.Http;

namespace SalesAuto.Core.Webhooks.Sources;

/// <summary>One delivery to verify, with what verification reads besides the request (<see cref="WebhookSource.Verify"/>).</summary>
public readonly ref struct WebhookDelivery
{
    /// <summary>The configured source name (lower-case), for error details.</summary>
    public required string SourceName { get; init; }

    /// <summary>The source's <c>Secrets</c>: every one is tried.</summary>
    public required IReadOnlyList<string> Secrets { get; init; }

    /// <summary>Headers, method, URL and query; the body is not read from it.</summary>
    public required HttpRequest Request { get; init; }

    /// <summary>The raw body bytes, as received.</summary>
    public required ReadOnlySpan<byte> Body { get; init; }

    /// <summary><c>Webhooks:*</c> as they are now (<c>TimestampTolerance</c>, <c>PublicBaseUrl</c>).</summary>
    public required WebhookOptions Options { get; init; }

    /// <summary>The time a signed timestamp is compared with.</summary>
    public required DateTimeOffset Now { get; init; }
}
