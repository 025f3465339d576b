namespace SalesAuto.Core.Http;

/// <summary>
/// The one rule for an email address, used by enrollments and by every webhook source, so an
/// address one accepts always matches the other: trimmed, lower-cased (invariant), 3 to 320
/// characters, one '@' with text on both sides, no whitespace or control characters. Deliverability
/// is the provider's business; SalesAuto only needs a stable key.
/// </summary>
internal static class EmailAddress
{
    /// <summary>The longest address (the enrollments table's limit).</summary>
    public const int MaxLength = 320;

    /// <summary>The shortest address: a@b.</summary>
    public const int MinLength = 3;

    /// <summary>What the rule says, for problem details.</summary>
    public const string Rule = "an email address (3 to 320 characters, one '@' with text on both sides, no spaces or control characters)";

    /// <summary>The normalised address, or null when <paramref name="text"/> breaks the rule.</summary>
    public static string? Normalize(string? text)
    {
        var trimmed = text?.Trim();
        if (trimmed is null || trimmed.Length is < MinLength or > MaxLength)
        {
            return null;
        }

        var at = trimmed.IndexOf('@', StringComparison.Ordinal);
        if (at <= 0 || at == trimmed.Length - 1 || trimmed.IndexOf('@', at + 1) >= 0)
        {
            return null;
        }

        foreach (var c in trimmed)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c) || char.IsSurrogate(c) && !JsonText.IsStorable(trimmed) || JsonText.IsBidiControl(c))
            {
                return null;
            }
        }

        return trimmed.ToLowerInvariant();
    }
}
