using System.Globalization;
using System.Text.Json;

namespace SalesAuto.Core.Webhooks;

/// <summary>
/// What valid JSON may still hold that Postgres refuses as <c>jsonb</c> (or .NET cannot read as a
/// string): event payloads are stored as jsonb, so such a body must be a 400 here, not a 500 later.
/// </summary>
internal static class JsonSafety
{
    /// <summary>The longest number literal accepted.</summary>
    public const int MaxNumberLength = 100;

    /// <summary>
    /// The largest exponent accepted either way. Postgres numeric holds 131072 digits before the point
    /// and 16383 after; with at most 100 digits written, this stays far inside both.
    /// </summary>
    public const int MaxExponent = 1000;

    /// <summary>Null when Postgres accepts <paramref name="element"/> as jsonb; else the problem and where.</summary>
    public static string? Check(JsonElement element)
    {
        var path = new List<string>();
        return Walk(element, path);
    }

    private static string? Walk(JsonElement element, List<string> path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (ReadString(() => property.Name, out var name) is { } nameProblem)
                    {
                        return At(path, $"property names {nameProblem}");
                    }

                    path.Add("." + name);
                    var problem = Walk(property.Value, path);
                    path.RemoveAt(path.Count - 1);
                    if (problem is not null)
                    {
                        return problem;
                    }
                }

                return null;

            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    path.Add(string.Create(CultureInfo.InvariantCulture, $"[{index++}]"));
                    var problem = Walk(item, path);
                    path.RemoveAt(path.Count - 1);
                    if (problem is not null)
                    {
                        return problem;
                    }
                }

                return null;

            case JsonValueKind.String:
                return ReadString(element.GetString, out _) is { } stringProblem ? At(path, $"strings {stringProblem}") : null;

            case JsonValueKind.Number:
                return IsStorableNumber(element.GetRawText())
                    ? null
                    : At(path, $"numbers must have at most {MaxNumberLength} characters and an exponent between -{MaxExponent} and {MaxExponent}");

            default:
                return null;
        }
    }

    private static string? ReadString(Func<string?> read, out string value)
    {
        try
        {
            value = read() ?? string.Empty;
        }
        catch (InvalidOperationException)
        {
            // System.Text.Json reads invalid UTF-8, or an escaped unpaired surrogate such as "\ud800",
            // only when the string is read, not when the document is parsed.
            value = string.Empty;
            return "must be valid Unicode (well-formed UTF-8, no unpaired surrogate)";
        }

        // Postgres text cannot hold U+0000, and jsonb refuses "\u0000".
        return value.Contains('\0', StringComparison.Ordinal) ? "must not contain the NUL character (\\u0000)" : null;
    }

    private static bool IsStorableNumber(string literal)
    {
        if (literal.Length > MaxNumberLength)
        {
            return false;
        }

        var e = literal.AsSpan().IndexOfAny('e', 'E');
        return e < 0
            || (int.TryParse(literal.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var exponent)
                && exponent >= -MaxExponent && exponent <= MaxExponent);
    }

    // Segments are ".name" or "[index]": joined they read data.items[2].name.
    private static string At(List<string> path, string problem) =>
        path.Count == 0 ? problem : $"{problem} (at '{string.Concat(path).TrimStart('.')}')";
}
