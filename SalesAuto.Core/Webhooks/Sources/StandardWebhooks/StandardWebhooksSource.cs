using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SalesAuto.Core.Events;

namespace SalesAuto.Core.Webhooks.Sources.StandardWebhooks;

/// <summary>
/// Any Standard Webhooks sender (Svix's header names accepted too): an HMAC-SHA256 signature over id,
/// timestamp and body; bodies are SalesAuto's canonical events, one or an array.
/// </summary>
internal sealed class StandardWebhooksSource : WebhookSource
{
    /// <summary>Standard Webhooks' message id header.</summary>
    public const string IdHeader = "webhook-id";

    /// <summary>Standard Webhooks' timestamp header (Unix seconds).</summary>
    public const string TimestampHeader = "webhook-timestamp";

    /// <summary>Standard Webhooks' signature list header.</summary>
    public const string SignatureHeader = "webhook-signature";

    /// <summary>Svix's name for <see cref="IdHeader"/> (Svix sends the Standard Webhooks signature under its own header names).</summary>
    public const string SvixIdHeader = "svix-id";

    /// <summary>Svix's name for <see cref="TimestampHeader"/>.</summary>
    public const string SvixTimestampHeader = "svix-timestamp";

    /// <summary>Svix's name for <see cref="SignatureHeader"/>.</summary>
    public const string SvixSignatureHeader = "svix-signature";

    private static readonly StandardWebhooksHeaders StandardFamily = new(IdHeader, TimestampHeader, SignatureHeader);
    private static readonly StandardWebhooksHeaders SvixFamily = new(SvixIdHeader, SvixTimestampHeader, SvixSignatureHeader);

    private StandardWebhooksSource()
    {
    }

    /// <summary>The one instance (sources are stateless).</summary>
    public static StandardWebhooksSource Instance { get; } = new();

    /// <inheritdoc />
    public override WebhookSourceKind Kind => WebhookSourceKind.StandardWebhooks;

    /// <summary>Standard Webhooks (and Svix) HMAC-SHA256 signature, version v1.</summary>
    public override string ChallengeScheme => "Standard-Webhooks-v1";

    /// <inheritdoc />
    public override string ChallengeParameters => $"headers=\"{IdHeader} {TimestampHeader} {SignatureHeader}\"";

    /// <inheritdoc />
    public override string? CheckSecret(string secret) =>
        StandardWebhooksSecret.TryDecode(secret) is null ? $"must be '{StandardWebhooksSecret.Prefix}' followed by Base64" : null;

    // v1 = Base64(HMAC-SHA256(base64-decoded whsec_ secret, "{id}.{timestamp}.{body}")), timestamp in
    // Unix seconds; webhook-signature is a space-delimited list, other versions ignored.
    // https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md#signature-scheme
    // Svix sends the same signature under svix-id, svix-timestamp and svix-signature, and its own
    // verifiers accept either family; so do we, with the same rules, one family per delivery.
    /// <inheritdoc />
    public override VerificationResult Verify(WebhookDelivery delivery)
    {
        var request = delivery.Request;
        var headers = StandardWebhooksHeaders.Choose(request, StandardFamily, SvixFamily);
        if (DeliveryChecks.SingleHeader(request, headers.Id, out var id) is { } idProblem)
        {
            return VerificationResult.Failure(VerificationResult.SignatureReason, idProblem);
        }

        if (DeliveryChecks.SingleHeader(request, headers.Timestamp, out var timestamp) is { } timestampProblem)
        {
            return VerificationResult.Failure(VerificationResult.TimestampReason, timestampProblem);
        }

        if (DeliveryChecks.SingleHeader(request, headers.Signature, out var signatureList) is { } signatureProblem)
        {
            return VerificationResult.Failure(VerificationResult.SignatureReason, signatureProblem);
        }

        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var sentSeconds))
        {
            return VerificationResult.Failure(VerificationResult.TimestampReason, $"{headers.Timestamp} must be a Unix time in seconds (digits only).");
        }

        var tolerance = delivery.Options.TimestampTolerance;
        var skewSeconds = delivery.Now.ToUnixTimeSeconds() - sentSeconds;
        if (DeliveryChecks.OutsideWindow(headers.Timestamp, skewSeconds, Math.Abs(skewSeconds) > tolerance.TotalSeconds, tolerance) is { } window)
        {
            return window;
        }

        var claimed = new List<byte[]>();
        var v1Entries = 0;
        foreach (var entry in signatureList.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!entry.StartsWith("v1,", StringComparison.Ordinal))
            {
                continue;
            }

            v1Entries++;
            var decoded = new byte[DeliveryChecks.Sha256Bytes];
            if (Convert.TryFromBase64String(entry[3..], decoded, out var written) && written == DeliveryChecks.Sha256Bytes)
            {
                claimed.Add(decoded);
            }
        }

        if (v1Entries == 0)
        {
            return VerificationResult.Failure(VerificationResult.SignatureReason, $"{headers.Signature} holds no v1 signature (other versions are ignored).");
        }

        var prefix = Encoding.UTF8.GetBytes($"{id}.{timestamp}.");
        Span<byte> computed = stackalloc byte[DeliveryChecks.Sha256Bytes];
        var matched = false;
        foreach (var secret in delivery.Secrets)
        {
            if (StandardWebhooksSecret.TryDecode(secret) is not { } key)
            {
                continue; // options validation refuses such a secret at start-up
            }

            using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
            hmac.AppendData(prefix);
            hmac.AppendData(delivery.Body);
            hmac.GetHashAndReset(computed);
            foreach (var signature in claimed)
            {
                matched |= CryptographicOperations.FixedTimeEquals(computed, signature);
            }
        }

        return matched
            ? VerificationResult.Success
            : VerificationResult.Failure(VerificationResult.SignatureReason, $"No v1 signature in {headers.Signature} matches a secret of source '{delivery.SourceName}' for this {headers.Id}, timestamp and body.");
    }

    /// <summary>One canonical event (docs/webhooks.md, "Canonical events"): its type is kept as sent.</summary>
    public override string? ParseEvent(string sourceName, JsonElement element, out CanonicalEvent? parsed)
    {
        parsed = null;
        var fields = new EventFields(element);
        var id = fields.RequiredString("id", WebhookParser.MaxIdLength);
        var type = fields.RequiredString("type", WebhookParser.MaxTypeLength);
        var occurredAt = fields.Instant("occurredAt");
        var campaignId = fields.OptionalString("campaignId", WebhookParser.MaxIdLength);
        var email = fields.OptionalEmail("email");
        var crmContactId = fields.OptionalString("crmContactId", WebhookParser.MaxIdLength);
        if (fields.Error is not null)
        {
            return fields.Error;
        }

        if ((campaignId is null || email is null) && crmContactId is null)
        {
            return "either 'campaignId' and 'email', or 'crmContactId', is required";
        }

        parsed = new CanonicalEvent(sourceName, id, type, occurredAt, campaignId, email, crmContactId, element.GetRawText());
        return null;
    }
}
