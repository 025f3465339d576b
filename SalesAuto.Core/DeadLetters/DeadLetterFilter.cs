using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
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

    // ISO 8601 date or date-time; no zone designator means UTC.
    private static readonly string[] TimeFormats =
    [
        "yyyy-MM-dd",
        "yyyy-MM-dd'T'HH:mmK",
        "yyyy-MM-dd'T'HH:mm:ssK",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
    ];

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
        ArgumentNullException.ThrowIfNull(query);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in Names)
        {
            if (!query.TryGetValue(name, out var given))
            {
                continue;
            }

            if (given.Count != 1)
            {
                return Fail($"Query parameter '{name}' is given {given.Count} times; give it once.", out filter, out problem);
            }

            values[name] = given[0] ?? string.Empty;
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

    /// <summary>A short digest of the criteria, for cursors: a cursor only continues the list it came from.</summary>
    internal byte[] Digest()
    {
        // A JSON array is an unambiguous encoding of the five values (no separator can collide).
        var canonical = JsonSerializer.SerializeToUtf8Bytes(new object?[]
        {
            Status?.ToName(),
            Source,
            Type,
            From is { } from ? ToMicroseconds(from) : null,
            To is { } to ? ToMicroseconds(to) : null,
        });
        return SHA256.HashData(canonical).AsSpan(0, 8).ToArray();
    }

    internal static long ToMicroseconds(DateTimeOffset value) => (value.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

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

        if (!DateTimeOffset.TryParseExact(text, TimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            // In a query string an unescaped '+' arrives as a space: say so, it is the usual cause.
            var hint = text.Contains(' ', StringComparison.Ordinal) ? " (in a query string, send '+' as %2B)" : string.Empty;
            problem = Problems.BadRequest($"{label(name)} '{Truncate(text)}' is not an ISO 8601 date or date-time such as 2026-11-23 or 2026-11-23T10:00:00Z{hint}.");
            return false;
        }

        // Postgres keeps microseconds: cut the rest here so the filter means what the database compares.
        time = new DateTimeOffset(parsed.UtcTicks - (parsed.UtcTicks % 10), TimeSpan.Zero);
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
