using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using SalesAuto.Core.Http;

namespace SalesAuto.Core.DeadLetters;

/// <summary>
/// Which dead letters a list or a replay-by-filter means. Every criterion is optional; those given
/// must all match. <see cref="From"/> and <see cref="To"/> bound created_at (when it was
/// dead-lettered), both inclusive.
/// </summary>
/// <param name="Status">Only this status.</param>
/// <param name="Source">Only this webhook source (exact).</param>
/// <param name="Type">Only this event type (exact).</param>
/// <param name="From">Dead-lettered at or after (UTC, microsecond precision).</param>
/// <param name="To">Dead-lettered at or before (UTC, microsecond precision).</param>
public sealed record DeadLetterFilter(
    DeadLetterStatus? Status = null,
    string? Source = null,
    string? Type = null,
    DateTimeOffset? From = null,
    DateTimeOffset? To = null)
{
    /// <summary>The longest source or type accepted.</summary>
    public const int MaxTextLength = 200;

    /// <summary>The criteria's names, in the query string and in a JSON filter.</summary>
    public static IReadOnlyList<string> Names { get; } = ["status", "source", "type", "from", "to"];

    /// <summary>The filter that matches every dead letter.</summary>
    public static DeadLetterFilter None { get; } = new();

    /// <summary>True when no criterion is given: the filter matches every dead letter.</summary>
    public bool IsEmpty => Status is null && Source is null && Type is null && From is null && To is null;

    /// <summary>
    /// Reads the criteria from a query string (<c>GET /api/dlq?status=failed&amp;source=lemlist</c>).
    /// Other parameters are ignored (<c>code</c>, <c>cursor</c> and <c>limit</c> live there too);
    /// a criterion given twice, empty or invalid is a 400 whose detail names it.
    /// </summary>
    public static bool TryParse(IQueryCollection query, [NotNullWhen(true)] out DeadLetterFilter? filter, [NotNullWhen(false)] out ProblemResult? problem)
    {
        if (!PageQuery.TryReadCriteria(query, Names, out var values, out problem))
        {
            filter = null;
            return false;
        }

        return TryBuild(values, name => $"Query parameter '{name}'", out filter, out problem);
    }

    /// <summary>
    /// Reads the criteria from a JSON object (replay's <c>{"filter":{"status":"failed","source":"lemlist"}}</c>).
    /// Each member is a string or null (null: not given); an unknown member is a 400, so a misspelt
    /// criterion cannot silently widen the filter to every dead letter.
    /// </summary>
    public static bool TryParse(JsonElement json, [NotNullWhen(true)] out DeadLetterFilter? filter, [NotNullWhen(false)] out ProblemResult? problem)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            return Fail($"filter must be a JSON object with any of {string.Join(", ", Names)}; it is {Describe(json)}.", out filter, out problem);
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var member in json.EnumerateObject())
        {
            if (!Names.Contains(member.Name, StringComparer.Ordinal))
            {
                return Fail($"filter.{Truncate(member.Name)} is not a known criterion; use {string.Join(", ", Names)}.", out filter, out problem);
            }

            if (!seen.Add(member.Name))
            {
                return Fail($"filter.{member.Name} is given more than once.", out filter, out problem);
            }

            switch (member.Value.ValueKind)
            {
                case JsonValueKind.Null:
                    break;
                case JsonValueKind.String when JsonText.TryGetString(member.Value, out var text):
                    values[member.Name] = text;
                    break;
                case JsonValueKind.String:
                    return Fail($"filter.{member.Name} is not valid Unicode text.", out filter, out problem);
                default:
                    return Fail($"filter.{member.Name} must be a string or null; it is {Describe(member.Value)}.", out filter, out problem);
            }
        }

        return TryBuild(values, name => $"filter.{name}", out filter, out problem);
    }

    /// <summary>A cursor that continues this filter's list after <paramref name="position"/>.</summary>
    internal string EncodeCursor(DeadLetterPosition position) => KeysetCursor.Encode(position.CreatedAt, position.Id, Digest());

    /// <summary>The position a cursor issued for this filter carries, or why it is refused.</summary>
    internal bool TryDecodeCursor(string cursor, out DeadLetterPosition position, out string error)
    {
        var ok = KeysetCursor.TryDecode(cursor, Digest(), out var at, out Guid id, out error);
        position = ok ? new DeadLetterPosition(at, id) : default;
        return ok;
    }

    // A cursor only continues the list it came from: the criteria's digest rides in it.
    private byte[] Digest() => KeysetCursor.Digest(
        Status?.ToName(),
        Source,
        Type,
        From is { } from ? KeysetCursor.ToMicroseconds(from) : null,
        To is { } to ? KeysetCursor.ToMicroseconds(to) : null);

    private static bool TryBuild(Dictionary<string, string> values, Func<string, string> label, [NotNullWhen(true)] out DeadLetterFilter? filter, [NotNullWhen(false)] out ProblemResult? problem)
    {
        DeadLetterStatus? status = null;
        if (values.TryGetValue("status", out var statusText))
        {
            if (!DeadLetterStatuses.TryParse(statusText, out var parsed))
            {
                return Fail($"{label("status")} '{Truncate(statusText)}' is not a status; use one of {string.Join(", ", DeadLetterStatuses.All.Select(s => s.ToName()))}.", out filter, out problem);
            }

            status = parsed;
        }

        if (!TryText(values, "source", label, out var source, out problem) || !TryText(values, "type", label, out var type, out problem)
            || !TryTime(values, "from", label, out var from, out problem) || !TryTime(values, "to", label, out var to, out problem))
        {
            filter = null;
            return false;
        }

        if (from > to)
        {
            return Fail($"{label("from")} ({from:O}) is after {label("to")} ({to:O}).", out filter, out problem);
        }

        filter = new DeadLetterFilter(status, source, type, from, to);
        problem = null;
        return true;
    }

    private static bool TryText(Dictionary<string, string> values, string name, Func<string, string> label, out string? text, [NotNullWhen(false)] out ProblemResult? problem)
    {
        problem = null;
        if (!values.TryGetValue(name, out text))
        {
            return true;
        }

        if (text.Length is 0 or > MaxTextLength)
        {
            problem = Problems.BadRequest($"{label(name)} must be 1 to {MaxTextLength} characters; it has {text.Length}.");
            return false;
        }

        if (!JsonText.IsStorable(text))
        {
            problem = Problems.BadRequest($"{label(name)} contains a NUL character or invalid Unicode.");
            return false;
        }

        return true;
    }

    private static bool TryTime(Dictionary<string, string> values, string name, Func<string, string> label, out DateTimeOffset? time, [NotNullWhen(false)] out ProblemResult? problem)
    {
        time = null;
        problem = null;
        if (!values.TryGetValue(name, out var text))
        {
            return true;
        }

        if (!PageQuery.TryParseTime(text, label(name), out var parsed, out problem))
        {
            return false;
        }

        time = parsed;
        return true;
    }

    private static bool Fail(string detail, out DeadLetterFilter? filter, out ProblemResult problem)
    {
        filter = null;
        problem = Problems.BadRequest(detail);
        return false;
    }

    private static string Describe(JsonElement element) => JsonText.Describe(element);

    private static string Truncate(string text) => JsonText.Truncate(text);
}
