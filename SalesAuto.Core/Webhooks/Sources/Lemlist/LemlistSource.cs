using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SalesAuto.Core.Events;

namespace SalesAuto.Core.Webhooks.Sources.Lemlist;

/// <summary>
/// Lemlist: no signature exists, so the target URL carries a shared token; bodies are activities
/// (one or an array) about a lead's email in a campaign.
/// </summary>
internal sealed class LemlistSource : WebhookSource
{
    /// <summary>Lemlist's query parameter carrying the shared token.</summary>
    public const string TokenParameter = "token";

    private static readonly FrozenDictionary<string, string> Types = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["emailsSent"] = EventTypes.EmailSent,
        ["emailsOpened"] = EventTypes.EmailOpened,
        ["emailsClicked"] = EventTypes.EmailClicked,
        ["emailsReplied"] = EventTypes.EmailReplied,
        ["emailsBounced"] = EventTypes.EmailBounced,
        ["emailsUnsubscribed"] = EventTypes.EmailUnsubscribed,
        ["emailsFailed"] = EventTypes.EmailFailed,
        ["emailsInterested"] = EventTypes.LeadInterested,
        ["emailsNotInterested"] = EventTypes.LeadNotInterested,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private LemlistSource()
    {
    }

    /// <summary>The one instance (sources are stateless).</summary>
    public static LemlistSource Instance { get; } = new();

    /// <inheritdoc />
    public override WebhookSourceKind Kind => WebhookSourceKind.Lemlist;

    /// <inheritdoc />
    public override string ChallengeScheme => "Lemlist-Token";

    /// <inheritdoc />
    public override string ChallengeParameters => $"query=\"{TokenParameter}\"";

    /// <summary>Lemlist activity <c>type</c> to canonical type.</summary>
    public override IReadOnlyDictionary<string, string> TypeMap => Types;

    // Both sides are hashed first so the constant-time comparison is over equal lengths and does not
    // reveal the secret's length.
    /// <inheritdoc />
    public override VerificationResult Verify(WebhookDelivery delivery)
    {
        var values = delivery.Request.Query[TokenParameter];
        if (values.Count > 1)
        {
            return VerificationResult.Failure(VerificationResult.SignatureReason, $"The '{TokenParameter}' query parameter appears more than once.");
        }

        var token = values.Count == 1 ? values[0] : null;
        if (string.IsNullOrEmpty(token))
        {
            return VerificationResult.Failure(VerificationResult.SignatureReason, $"The '{TokenParameter}' query parameter is missing.");
        }

        Span<byte> claimed = stackalloc byte[DeliveryChecks.Sha256Bytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(token), claimed);
        Span<byte> expected = stackalloc byte[DeliveryChecks.Sha256Bytes];
        var matched = false;
        foreach (var secret in delivery.Secrets)
        {
            SHA256.HashData(Encoding.UTF8.GetBytes(secret ?? string.Empty), expected);
            matched |= CryptographicOperations.FixedTimeEquals(expected, claimed);
        }

        return matched
            ? VerificationResult.Success
            : VerificationResult.Failure(VerificationResult.SignatureReason, $"The '{TokenParameter}' query parameter does not match any secret of source '{delivery.SourceName}'.");
    }

    /// <inheritdoc />
    public override string? ParseEvent(string sourceName, JsonElement element, out CanonicalEvent? parsed)
    {
        parsed = null;
        var fields = new EventFields(element);
        var id = fields.RequiredString("_id", WebhookParser.MaxIdLength);
        var type = fields.RequiredString("type", WebhookParser.MaxTypeLength);
        var createdAt = fields.Instant("createdAt");
        var campaignId = fields.OptionalString("campaignId", WebhookParser.MaxIdLength);
        var email = fields.OptionalEmail("leadEmail");
        if (fields.Error is not null)
        {
            return fields.Error;
        }

        // A mapped type must name its enrollment; an unknown one is kept even when it cannot (it then
        // waits as an orphan and ends as a dead letter an operator can inspect).
        if (Types.ContainsKey(type))
        {
            if (campaignId is null)
            {
                return $"'campaignId' is required for type '{type}'";
            }

            if (email is null)
            {
                return $"'leadEmail' is required for type '{type}'";
            }
        }

        parsed = new CanonicalEvent(sourceName, id, CanonicalType(type), createdAt, campaignId, email, CrmContactId: null, element.GetRawText());
        return null;
    }
}
