using System.Collections.Frozen;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SalesAuto.Core.Events;
using SalesAuto.Core.Privacy;

namespace SalesAuto.Core.Webhooks.Sources.HubSpot;

/// <summary>
/// HubSpot: signature v3 over method, public URI, body and timestamp; bodies are arrays of events about
/// CRM objects, found by CRM contact id; a <c>contact.privacyDeletion</c> erases its contact.
/// </summary>
internal sealed class HubSpotSource : WebhookSource
{
    /// <summary>HubSpot's signature v3 header.</summary>
    public const string SignatureHeader = "X-HubSpot-Signature-v3";

    /// <summary>HubSpot's request timestamp header (Unix milliseconds).</summary>
    public const string TimestampHeader = "X-HubSpot-Request-Timestamp";

    private static readonly FrozenDictionary<string, string> Types = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["contact.creation"] = EventTypes.ContactCreated,
        ["contact.propertyChange"] = EventTypes.ContactUpdated,
        ["contact.deletion"] = EventTypes.ContactDeleted,
        [HubSpotPrivacyDeletion.SubscriptionType] = EventTypes.ContactDeleted,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private HubSpotSource()
    {
    }

    /// <summary>The one instance (sources are stateless).</summary>
    public static HubSpotSource Instance { get; } = new();

    /// <inheritdoc />
    public override WebhookSourceKind Kind => WebhookSourceKind.HubSpot;

    /// <inheritdoc />
    public override string ChallengeScheme => "HubSpot-Signature-v3";

    /// <inheritdoc />
    public override string ChallengeParameters => $"header=\"{SignatureHeader}\", timestamp=\"{TimestampHeader}\"";

    /// <summary>HubSpot <c>subscriptionType</c> to canonical type.</summary>
    public override IReadOnlyDictionary<string, string> TypeMap => Types;

    /// <inheritdoc />
    public override bool AcceptsSingleEvent => false;

    // HubSpot signature v3: Base64(HMAC-SHA256(client secret, UTF-8(method + URI + body + timestamp))),
    // timestamp in Unix milliseconds.
    // https://developers.hubspot.com/docs/apps/legacy-apps/authentication/validating-requests#validate-the-v3-request-signature
    /// <inheritdoc />
    public override VerificationResult Verify(WebhookDelivery delivery)
    {
        var request = delivery.Request;
        if (DeliveryChecks.SingleHeader(request, SignatureHeader, out var signature) is { } signatureProblem)
        {
            return VerificationResult.Failure(VerificationResult.SignatureReason, signatureProblem);
        }

        if (DeliveryChecks.SingleHeader(request, TimestampHeader, out var timestamp) is { } timestampProblem)
        {
            return VerificationResult.Failure(VerificationResult.TimestampReason, timestampProblem);
        }

        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var sentMs))
        {
            return VerificationResult.Failure(VerificationResult.TimestampReason, $"{TimestampHeader} must be a Unix time in milliseconds (digits only).");
        }

        var tolerance = delivery.Options.TimestampTolerance;
        // No overflow: sentMs is not negative and now is a few trillion milliseconds.
        var skewMs = delivery.Now.ToUnixTimeMilliseconds() - sentMs;
        if (DeliveryChecks.OutsideWindow(TimestampHeader, skewMs / 1000, Math.Abs(skewMs) > tolerance.TotalMilliseconds, tolerance) is { } window)
        {
            return window;
        }

        var uri = HubSpotRequestUri.Build(request, delivery.Options.PublicBaseUrl);
        var prefix = Encoding.UTF8.GetBytes(request.Method + uri);
        var suffix = Encoding.UTF8.GetBytes(timestamp);

        Span<byte> claimed = stackalloc byte[DeliveryChecks.Sha256Bytes];
        var wellFormed = Convert.TryFromBase64String(signature, claimed, out var written) && written == DeliveryChecks.Sha256Bytes;

        Span<byte> computed = stackalloc byte[DeliveryChecks.Sha256Bytes];
        var matched = false;
        foreach (var secret in delivery.Secrets)
        {
            using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(secret ?? string.Empty));
            hmac.AppendData(prefix);
            hmac.AppendData(delivery.Body);
            hmac.AppendData(suffix);
            hmac.GetHashAndReset(computed);
            // Non-short-circuit |: every secret is computed and compared whatever matched before.
            matched |= CryptographicOperations.FixedTimeEquals(computed, claimed);
        }

        if (matched && wellFormed)
        {
            return VerificationResult.Success;
        }

        return VerificationResult.Failure(
            VerificationResult.SignatureReason,
            wellFormed
                ? $"{SignatureHeader} does not match: no secret of source '{delivery.SourceName}' signs {request.Method} {uri} with this body and timestamp."
                : $"{SignatureHeader} is not the Base64 of a 32-byte HMAC-SHA256.");
    }

    // https://developers.hubspot.com/docs/api/webhooks (payload fields). eventId alone is not unique
    // across a portal's subscriptions, so the key combines portal, subscription, event and time.
    /// <inheritdoc />
    public override string? ParseEvent(string sourceName, JsonElement element, out CanonicalEvent? parsed)
    {
        parsed = null;
        var fields = new EventFields(element);
        var eventId = fields.Integer("eventId");
        var subscriptionId = fields.Integer("subscriptionId");
        var portalId = fields.Integer("portalId");
        var occurredAtMs = fields.UnixMilliseconds("occurredAt");
        var subscriptionType = fields.RequiredString("subscriptionType", WebhookParser.MaxTypeLength);
        var objectId = fields.IntegerOrString("objectId", WebhookParser.MaxIdLength);
        if (fields.Error is not null)
        {
            return fields.Error;
        }

        if (objectId is null && Types.ContainsKey(subscriptionType))
        {
            return $"'objectId' is required for subscriptionType '{subscriptionType}'";
        }

        parsed = new CanonicalEvent(
            sourceName,
            string.Create(CultureInfo.InvariantCulture, $"{portalId}:{subscriptionId}:{eventId}:{occurredAtMs}"),
            CanonicalType(subscriptionType),
            DateTimeOffset.FromUnixTimeMilliseconds(occurredAtMs),
            CampaignId: null,
            Email: null,
            CrmContactId: objectId,
            element.GetRawText());
        return null;
    }

    /// <summary>The contacts of the delivery's <c>contact.privacyDeletion</c> events.</summary>
    public override IReadOnlyList<PersonIdentifier> PeopleToErase(IReadOnlyList<CanonicalEvent> events) =>
        [.. HubSpotPrivacyDeletion.ContactsToErase(events).Select(PersonIdentifier.CrmContact)];
}
