using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using SalesAuto.Core.Webhooks.Sources;

namespace SalesAuto.Core.Webhooks;

/// <summary>
/// Verifies that a webhook delivery comes from its configured source, exactly as each provider
/// specifies (DESIGN.md, "Webhook sources"; each source's <see cref="WebhookSource.Verify"/>). Every
/// configured secret is tried, so a secret can be rotated without downtime.
/// </summary>
internal sealed class WebhookVerifier
{
    private readonly IOptionsMonitor<WebhookOptions> _options;
    private readonly TimeProvider _time;

    /// <summary>Creates a verifier reading <c>Webhooks:TimestampTolerance</c> and <c>Webhooks:PublicBaseUrl</c> on every call.</summary>
    public WebhookVerifier(IOptionsMonitor<WebhookOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _options = options;
        _time = time;
    }

    /// <summary>
    /// Verifies one delivery of source <paramref name="sourceName"/> against <paramref name="body"/>, the
    /// raw bytes as received. Does not read the request body; reads headers, method, URL and query.
    /// </summary>
    /// <exception cref="ArgumentException">The source's <see cref="WebhookSourceOptions.Kind"/> is not set (options validation refuses that at start-up).</exception>
    public VerificationResult Verify(string sourceName, WebhookSourceOptions source, HttpRequest request, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(sourceName);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(request);
        if (!WebhookSources.TryGet(source.Kind, out var kind))
        {
            throw new ArgumentException($"Webhooks:Sources:{sourceName}:Kind is not set.", nameof(source));
        }

        return kind.Verify(new WebhookDelivery
        {
            SourceName = sourceName,
            Secrets = source.Secrets,
            Request = request,
            Body = body,
            Options = _options.CurrentValue,
            Now = _time.GetUtcNow(),
        });
    }
}
