using System.Text;
using SalesAuto.Core.Webhooks.Sources;

namespace SalesAuto.Core.Webhooks;

/// <summary>
/// The <c>WWW-Authenticate</c> challenge of a 401 on <c>POST /api/webhooks/{source}</c>
/// (RFC 9110 §11.6.1, §15.5.2): a 401 must carry at least one challenge for the target resource.
/// The auth-scheme names the source's verification method; <c>realm</c> is the source's name (its
/// protection space: each source has its own secrets); the other parameters say where the method
/// reads its credentials (<see cref="WebhookSource.ChallengeScheme"/>, <see cref="WebhookSource.ChallengeParameters"/>). None of these schemes is registered with IANA, and no provider reads them:
/// they are there for the operator or developer reading a refused delivery. docs/webhooks.md lists them.
/// </summary>
internal static class WebhookChallenge
{
    /// <summary>The challenge for source <paramref name="sourceName"/> of <paramref name="kind"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="kind"/> is not set (refused at start-up).</exception>
    public static string For(string sourceName, WebhookSourceKind kind)
    {
        ArgumentNullException.ThrowIfNull(sourceName);
        var source = WebhookSources.For(kind);
        return $"{source.ChallengeScheme} realm={Quoted(sourceName)}, {source.ChallengeParameters}";
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
