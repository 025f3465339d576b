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
