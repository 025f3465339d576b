using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using SalesAuto.Core.Http;

namespace SalesAuto.Core.DeadLetters;

/// <summary>
/// The <c>"ids"</c> of an ignore or replay request: a JSON array of 1 to <see cref="MaxIds"/>
/// entries, each a UUID string in the canonical 8-4-4-4-12 form (either case). Anything else is a
/// 400 whose detail names every bad entry by index and value; repeated ids are folded into one,
/// first occurrence first.
/// </summary>
internal static class DeadLetterIdList
{
    /// <summary>The most entries one request may name (counted before duplicates are folded).</summary>
    public const int MaxIds = 100;

    // Enough to fix a request by; the problem's "invalid" member lists them all.
    private const int MaxNamedInDetail = 20;

    /// <summary>Reads the <c>ids</c> member of a request body; a missing member is a 400 like a bad one.</summary>
    public static bool TryParseMember(JsonElement body, [NotNullWhen(true)] out IReadOnlyList<Guid>? ids, [NotNullWhen(false)] out ProblemResult? problem)
    {
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("ids", out var element))
        {
            ids = null;
            problem = Problems.BadRequest($"ids is required: an array of 1 to {MaxIds} dead-letter ids (UUIDs).");
            return false;
        }

        return TryParse(element, out ids, out problem);
    }

    /// <summary>Reads an ids array (the value of <c>"ids"</c>).</summary>
    public static bool TryParse(JsonElement element, [NotNullWhen(true)] out IReadOnlyList<Guid>? ids, [NotNullWhen(false)] out ProblemResult? problem)
    {
        ids = null;
        if (element.ValueKind != JsonValueKind.Array)
        {
            problem = Problems.BadRequest($"ids must be an array of 1 to {MaxIds} UUID strings; it is {JsonText.Describe(element)}.");
            return false;
        }

        var count = element.GetArrayLength();
        if (count is 0 or > MaxIds)
        {
            problem = Problems.BadRequest($"ids must hold 1 to {MaxIds} entries; it holds {count}.");
            return false;
        }

        var folded = new List<Guid>(count);
        var seen = new HashSet<Guid>();
        var invalid = new List<InvalidEntry>();
        var named = new List<string>();
        var index = 0;
        foreach (var entry in element.EnumerateArray())
        {
            if (entry.ValueKind == JsonValueKind.String && JsonText.TryGetString(entry, out var text) && Guid.TryParseExact(text, "D", out var id))
            {
                if (seen.Add(id))
                {
                    folded.Add(id);
                }
            }
            else
            {
                var (value, isString) = Shown(entry);
                var error = entry.ValueKind == JsonValueKind.String ? "not a UUID" : $"{JsonText.Describe(entry)}, not a UUID string";
                invalid.Add(new InvalidEntry(index, value, error));
                named.Add($"ids[{index}] {(isString ? $"'{value}'" : value)} is {error}");
            }

            index++;
        }

        if (invalid.Count > 0)
        {
            var more = invalid.Count > MaxNamedInDetail ? $"; and {invalid.Count - MaxNamedInDetail} more" : string.Empty;
            var what = invalid.Count == 1 ? "is not a UUID" : "are not UUIDs";
            problem = Problems.BadRequest(
                $"{invalid.Count} of {count} ids {what} (a UUID looks like 3f2b0c4e-8d1a-4e6b-9c2d-5a7e1f0b3c9d): {string.Join("; ", named.Take(MaxNamedInDetail))}{more}.",
                new Dictionary<string, object?> { ["invalid"] = invalid });
            return false;
        }

        ids = folded;
        problem = null;
        return true;
    }

    // The entry as the client sent it, shortened: a string's own text (the JSON member carries its
    // quotes; only the detail sentence adds some), anything else as its JSON text.
    private static (string Value, bool IsString) Shown(JsonElement entry)
    {
        if (entry.ValueKind == JsonValueKind.String)
        {
            return JsonText.TryGetString(entry, out var text) && JsonText.IsStorable(text)
                ? (JsonText.Truncate(text), true)
                : ("(a string that is not valid Unicode)", false);
        }

        return (JsonText.Truncate(entry.GetRawText()), false);
    }

    /// <summary>One bad entry, as the problem's <c>invalid</c> member lists it.</summary>
    /// <param name="Index">Its position in the array, from 0.</param>
    /// <param name="Value">What was sent, shortened: a string's text without added quotes, anything else as JSON text.</param>
    /// <param name="Error">Why it is refused.</param>
    private sealed record InvalidEntry(int Index, string Value, string Error);
}
