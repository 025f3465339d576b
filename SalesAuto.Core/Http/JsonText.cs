using System.Text.Json;

namespace SalesAuto.Core.Http;

/// <summary>Small rules for text taken from a request before it reaches Postgres or a problem detail.</summary>
internal static class JsonText
{
    /// <summary>How much of a client's value a problem detail quotes.</summary>
    public const int QuoteLength = 40;

    /// <summary>The string value, or false when its escapes are not valid UTF-16 (a lone surrogate such as "\ud800").</summary>
    public static bool TryGetString(JsonElement element, out string text)
    {
        try
        {
            text = element.GetString() ?? string.Empty;
            return true;
        }
        catch (InvalidOperationException)
        {
            text = string.Empty;
            return false;
        }
    }

    /// <summary>
    /// Whether Postgres can store the text: a text column refuses NUL, and a lone surrogate cannot
    /// be encoded to UTF-8 at all. Either would otherwise surface as a 500.
    /// </summary>
    public static bool IsStorable(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0')
            {
                return false;
            }

            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]))
                {
                    return false;
                }

                i++;
            }
            else if (char.IsLowSurrogate(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Why <paramref name="text"/> cannot be an identifier or a name SalesAuto stores and shows:
    /// what Postgres cannot store (NUL, a lone surrogate), control characters, and for identifiers
    /// also the bidirectional overrides and isolates that make one id display as another
    /// (CVE-2021-42574, "Trojan Source"). Null when it is fine.
    /// </summary>
    public static string? TextProblem(string text, bool identifier)
    {
        if (!IsStorable(text))
        {
            return "must be valid Unicode without NUL characters";
        }

        foreach (var c in text)
        {
            if (char.IsControl(c) && (identifier || c is not ('\t' or '\n' or '\r')))
            {
                return "must not contain control characters";
            }

            if (identifier && IsBidiControl(c))
            {
                return "must not contain bidirectional control characters";
            }
        }

        return null;
    }

    /// <summary>The bidirectional embedding, override and isolate controls (U+202A..U+202E, U+2066..U+2069) and the marks U+200E, U+200F, U+061C.</summary>
    public static bool IsBidiControl(char c) => c is (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069') or '\u200E' or '\u200F' or '\u061C';

    /// <summary>The value shortened for quoting in a problem detail, never cut inside a surrogate pair.</summary>
    public static string Truncate(string text)
    {
        if (text.Length <= QuoteLength)
        {
            return text;
        }

        var length = char.IsHighSurrogate(text[QuoteLength - 1]) ? QuoteLength - 1 : QuoteLength;
        return string.Concat(text.AsSpan(0, length), "…");
    }

    /// <summary>What kind of JSON value it is, for a problem detail: "a number", "an array", ...</summary>
    public static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "missing",
    };
}
