using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;
using SalesAuto.Core.Webhooks.Sources;

namespace SalesAuto.Core.Webhooks;

/// <summary>
/// How a source proves its deliveries and shapes its events (DESIGN.md, "Webhook sources"); each kind
/// is one <see cref="WebhookSource"/>, listed in <see cref="WebhookSources"/>.
/// </summary>
public enum WebhookSourceKind
{
    /// <summary>Not set: refused at start-up.</summary>
    None,

    /// <summary>HubSpot signature v3.</summary>
    HubSpot,

    /// <summary>Lemlist: a shared token in the target URL's query.</summary>
    Lemlist,

    /// <summary>Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature).</summary>
    StandardWebhooks,
}

/// <summary>Settings of the <c>Webhooks</c> section.</summary>
public sealed partial class WebhookOptions : IValidatableObject
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Webhooks";

    /// <summary><c>Webhooks:MaxBodyBytes</c>: enforced while reading.</summary>
    [Range(1, 64 * 1024 * 1024, ErrorMessage = "Webhooks:MaxBodyBytes must be between 1 and 67108864.")]
    public int MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary><c>Webhooks:TimestampTolerance</c>: how far a signed timestamp may be from now, either way.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00", ErrorMessage = "Webhooks:TimestampTolerance must be between 1 second and 1 hour.")]
    public TimeSpan TimestampTolerance { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// <c>Webhooks:PublicBaseUrl</c>: the scheme and host providers call (e.g. <c>https://salesauto.azurewebsites.net</c>);
    /// HubSpot signs that URI, not the one the worker sees.
    /// </summary>
    public Uri? PublicBaseUrl { get; set; }

    /// <summary><c>Webhooks:Sources:{name}</c>.</summary>
    public Dictionary<string, WebhookSourceOptions> Sources { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (PublicBaseUrl is { } url && (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp)))
        {
            yield return new ValidationResult("Webhooks:PublicBaseUrl must be an absolute http(s) URL.");
        }

        foreach (var (name, source) in Sources)
        {
            var path = $"Webhooks:Sources:{name}";
            if (!SourceName().IsMatch(name))
            {
                yield return new ValidationResult($"{path}: a source name must be 1 to 64 lower-case letters and digits (no '-' or '_': on Azure the name is part of an app-setting name and of a Key Vault secret name, docs/deploy.md).");
            }

            if (source.Kind == WebhookSourceKind.None)
            {
                yield return new ValidationResult($"{path}:Kind is required: {WebhookSources.KindNames}.");
            }

            if (source.Secrets.Count == 0)
            {
                yield return new ValidationResult($"{path}:Secrets must hold at least one secret.");
            }

            // Each source checks the form of its own secrets (Standard Webhooks: whsec_ and Base64).
            var kind = WebhookSources.TryGet(source.Kind, out var found) ? found : null;
            for (var i = 0; i < source.Secrets.Count; i++)
            {
                var secret = source.Secrets[i];
                if (string.IsNullOrWhiteSpace(secret) || secret.Length < 8)
                {
                    yield return new ValidationResult($"{path}:Secrets:{i} must be at least 8 characters.");
                }
                else if (kind?.CheckSecret(secret) is { } problem)
                {
                    yield return new ValidationResult($"{path}:Secrets:{i} {problem}.");
                }
            }
        }
    }

    // Letters and digits only: the name goes verbatim into the app setting Webhooks__Sources__{name}__Kind
    // (Linux app-setting names allow no '-') and into the Key Vault secret webhook-{name}-{i} (Key Vault
    // names allow no '_'), so any other character would need a mapping that two names could share.
    // infra/modules/shared.bicep enforces the same rule before a deployment starts.
    [GeneratedRegex("^[a-z0-9]{1,64}$")]
    private static partial Regex SourceName();
}

/// <summary><c>Webhooks:Sources:{name}</c>.</summary>
public sealed class WebhookSourceOptions
{
    /// <summary><c>:Kind</c>.</summary>
    public WebhookSourceKind Kind { get; set; }

    /// <summary><c>:Secrets:{i}</c>: every entry is accepted, so a secret can be rotated without downtime.</summary>
    public List<string> Secrets { get; set; } = [];
}
