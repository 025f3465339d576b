using System.ComponentModel.DataAnnotations;

namespace SalesAuto.Core.Privacy;

/// <summary>Settings of the <c>Privacy</c> section: the keys of the suppression list's keyed hashes.</summary>
public sealed class PrivacyOptions : IValidatableObject
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Privacy";

    /// <summary>The shortest hash key accepted: 32 characters, so the HMAC key has at least 128 bits of entropy even when it is hex or Base64.</summary>
    public const int MinKeyLength = 32;

    /// <summary>
    /// <c>Privacy:HashKeys:{i}</c>: HMAC-SHA256 keys. The first is current (new suppressions and
    /// audit subjects are written with it); lookups hash with every key, so suppressions written
    /// under a previous key still hold while it stays listed (docs/privacy.md, "Rotating the hash key").
    /// </summary>
    public List<string> HashKeys { get; set; } = [];

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (HashKeys.Count == 0)
        {
            yield return new ValidationResult("Privacy:HashKeys must hold at least one key (Privacy:HashKeys:0): the suppression list and the audit log store people only as keyed hashes.");
        }

        for (var i = 0; i < HashKeys.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(HashKeys[i]) || HashKeys[i].Length < MinKeyLength)
            {
                yield return new ValidationResult($"Privacy:HashKeys:{i} must be at least {MinKeyLength} characters.");
            }
        }

        if (HashKeys.Distinct(StringComparer.Ordinal).Count() != HashKeys.Count)
        {
            yield return new ValidationResult("Privacy:HashKeys lists the same key twice.");
        }
    }
}
