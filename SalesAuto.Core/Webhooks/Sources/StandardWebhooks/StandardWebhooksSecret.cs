namespace SalesAuto.Core.Webhooks.Sources.StandardWebhooks;

/// <summary>The form of a Standard Webhooks secret.</summary>
internal static class StandardWebhooksSecret
{
    /// <summary>The prefix of a Standard Webhooks secret.</summary>
    public const string Prefix = "whsec_";

    /// <summary>
    /// The key bytes of a Standard Webhooks secret: <c>whsec_</c> then Base64
    /// (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md#signature-scheme).
    /// Null when the secret is not of that form.
    /// </summary>
    public static byte[]? TryDecode(string secret)
    {
        if (secret is null || !secret.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var encoded = secret.AsSpan(Prefix.Length);
        var buffer = new byte[encoded.Length];
        return Convert.TryFromBase64Chars(encoded, buffer, out var written) && written > 0 ? buffer[..written] : null;
    }
}
