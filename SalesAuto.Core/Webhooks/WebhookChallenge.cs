using System.Text;

namespace SalesAuto.Core.Webhooks;

/// <summary>
/// The <c>WWW-Authenticate</c> challenge of a 401 on <c>POST /api/webhooks/{source}</c>
/// (RFC 9110 §11.6.1, §15.5.2): a 401 must carry at least one challenge for the target resource.
/// The auth-scheme names the source's verification method; <c>realm</c> is the source's name (its
/// protection space: each source has its own secrets); the other parameters say where the method
/// reads its credentials. None of these schemes is registered with IANA, and no provider reads them:
/// they are there for the operator or developer reading a refused delivery. docs/webhooks.md lists them.
/// </summary>
public static class WebhookChallenge
{
    /// <summary>HubSpot signature v3.</summary>
    public const string HubSpotScheme = "HubSpot-Signature-v3";

    /// <summary>Lemlist's shared token in the query.</summary>
    public const string LemlistScheme = "Lemlist-Token";

    /// <summary>Standard Webhooks (and Svix) HMAC-SHA256 signature, version v1.</summary>
    public const string StandardWebhooksScheme = "Standard-Webhooks-v1";

    /// <summary>The challenge for source <paramref name="sourceName"/> of <paramref name="kind"/>.</summary>
    public static string For(string sourceName, WebhookSourceKind kind)
    {
        ArgumentNullException.ThrowIfNull(sourceName);
        var realm = $"realm={Quoted(sourceName)}";
        return kind switch
        {
            WebhookSourceKind.HubSpot =>
                $"{HubSpotScheme} {realm}, header=\"{WebhookVerifier.HubSpotSignatureHeader}\", timestamp=\"{WebhookVerifier.HubSpotTimestampHeader}\"",
            WebhookSourceKind.Lemlist =>
                $"{LemlistScheme} {realm}, query=\"{WebhookVerifier.LemlistTokenParameter}\"",
            WebhookSourceKind.StandardWebhooks =>
                $"{StandardWebhooksScheme} {realm}, headers=\"{WebhookVerifier.StandardWebhooksIdHeader} {WebhookVerifier.StandardWebhooksTimestampHeader} {WebhookVerifier.StandardWebhooksSignatureHeader}\"",
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "A source without a kind is refused at start-up."),
        };
    }

    // RFC 9110 §5.6.4 quoted-string: backslash before '"' and '\'; a configured name has no control characters.
    private static string Quoted(string value)
    {
        var builder = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            if (c is '"' or '\\')
            {
                builder.Append('\\');
            }

            builder.Append(c);
        }

        return builder.Append('"').ToString();
    }
}
