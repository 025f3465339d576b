using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace SalesAuto.Core.Identity;

/// <summary>
/// Finds settings that still hold an unresolved Key Vault reference. On Azure an app setting
/// <c>@Microsoft.KeyVault(SecretUri=...)</c> is replaced by the secret before the app starts; when the
/// platform cannot read the secret (on a first deployment, the identity's Key Vault role is seconds
/// old; or the secret or the role is missing) it passes the reference text through unchanged, and
/// the app would otherwise fail on it as a malformed connection string or key.
/// </summary>
internal static class KeyVaultReferences
{
    /// <summary>How every Key Vault reference starts (App Service and Functions app settings).</summary>
    public const string Prefix = "@Microsoft.KeyVault(";

    /// <summary>Whether a value is a Key Vault reference the platform did not resolve.</summary>
    public static bool IsUnresolved(string? value) =>
        value is not null && value.TrimStart().StartsWith(Prefix, StringComparison.OrdinalIgnoreCase);

    /// <summary>The sentence that names the setting and what to do (the reference itself is not repeated).</summary>
    public static string Describe(string setting) =>
        $"{setting} still holds an unresolved Key Vault reference ({Prefix}...): the platform could not read the secret. "
        + "After a first deployment the identity's Key Vault role may not have propagated yet: restart the app "
        + "(az functionapp restart). Otherwise check that the secret exists and that the app's key vault reference "
        + "identity holds Key Vault Secrets User on the vault (docs/deploy.md, \"Key Vault references\").";

    /// <summary>Every setting (as <c>Section:Key</c>) whose value is an unresolved reference, in a stable order.</summary>
    public static IReadOnlyList<string> FindUnresolved(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return [.. configuration.AsEnumerable()
            .Where(setting => IsUnresolved(setting.Value))
            .Select(setting => setting.Key)
            .Order(StringComparer.Ordinal)];
    }

    /// <summary>Throws the <see cref="Describe"/> sentence when <paramref name="value"/> is an unresolved reference.</summary>
    /// <exception cref="OptionsValidationException">The value is an unresolved reference.</exception>
    public static void ThrowIfUnresolved(string setting, string? value)
    {
        if (IsUnresolved(value))
        {
            throw new OptionsValidationException(setting, typeof(string), [Describe(setting)]);
        }
    }
}

/// <summary>
/// The start-up check of <see cref="KeyVaultReferences"/> over the whole configuration, validated on
/// start like every settings section, so the host stops with one sentence per unresolved setting.
/// </summary>
internal sealed class KeyVaultReferenceCheck : IValidatableObject
{
    /// <summary>Settings (<c>Section:Key</c>) that hold an unresolved Key Vault reference.</summary>
    public IReadOnlyList<string> UnresolvedSettings { get; set; } = [];

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext) =>
        UnresolvedSettings.Select(setting => new ValidationResult(KeyVaultReferences.Describe(setting)));
}
