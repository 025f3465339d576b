using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace SalesAuto.Core.Http;

/// <summary>
/// The query string of a keyset-paged list (<c>GET /api/dlq</c>, <c>GET /api/audit</c>): its
/// filter criteria, <c>limit</c> and <c>cursor</c>, read with one set of rules. A parameter given
/// twice, empty or invalid is a 400 whose detail names it; other parameters are ignored.
/// </summary>
internal static class PageQuery
{
    // ISO 8601 date or date-time; no zone designator means UTC.
    private static readonly string[] TimeFormats =
    [
        "yyyy-MM-dd",
        "yyyy-MM-dd'T'HH:mmK",
        "yyyy-MM-dd'T'HH:mm:ssK",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
    ];

    /// <summary>The criteria among <paramref name="names"/> that the query gives, each exactly once.</summary>
    public static bool TryReadCriteria(IQueryCollection query, IReadOnlyList<string> names, [NotNullWhen(true)] out Dictionary<string, string>? values, [NotNullWhen(false)] out ProblemResult? problem)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(names);
        values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            if (!query.TryGetValue(name, out var given))
            {
                continue;
            }

            if (given.Count != 1)
            {
                values = null;
                problem = Problems.BadRequest($"Query parameter '{name}' is given {given.Count} times; give it once.");
                return false;
            }

            values[name] = given[0] ?? string.Empty;
        }

        problem = null;
        return true;
    }

    /// <summary>Decodes a cursor into its position, or says why it is refused: a list filter's <c>TryDecodeCursor</c>.</summary>
    public delegate bool CursorDecoder<TPosition>(string cursor, out TPosition position, out string error);

    /// <summary>
    /// The page a list asks for: <c>limit</c> (<paramref name="defaultLimit"/> when absent, at most
    /// <paramref name="max"/>) and the position after which it starts, from <c>cursor</c> decoded by
    /// <paramref name="decode"/> (the filter's, so a cursor only continues the list it came from);
    /// null on the first page.
    /// </summary>
    public static bool TryReadPage<TPosition>(IQueryCollection query, int defaultLimit, int max, CursorDecoder<TPosition> decode, out int limit, out TPosition? after, [NotNullWhen(false)] out ProblemResult? problem)
        where TPosition : struct
    {
        ArgumentNullException.ThrowIfNull(decode);
        after = null;
        if (!TryParseLimit(query, defaultLimit, max, out limit, out problem) || !TryReadCursor(query, out var cursor, out problem))
        {
            return false;
        }

        if (cursor is null)
        {
            return true;
        }

        if (!decode(cursor, out var position, out var error))
        {
            problem = InvalidCursor(error);
            return false;
        }

        after = position;
        return true;
    }

    // limit: one whole number from 1 to max; defaultLimit when absent.
    private static bool TryParseLimit(IQueryCollection query, int defaultLimit, int max, out int limit, [NotNullWhen(false)] out ProblemResult? problem)
    {
        ArgumentNullException.ThrowIfNull(query);
        limit = defaultLimit;
        problem = null;
        if (!query.TryGetValue("limit", out var values))
        {
            return true;
        }

        if (values.Count != 1 || !int.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > max)
        {
            problem = Problems.BadRequest($"Query parameter 'limit' must be one whole number from 1 to {max}; it is '{JsonText.Truncate(values.ToString())}'.");
            return false;
        }

        return true;
    }

    // cursor's text when given once (null when absent).
    private static bool TryReadCursor(IQueryCollection query, out string? cursor, [NotNullWhen(false)] out ProblemResult? problem)
    {
        ArgumentNullException.ThrowIfNull(query);
        cursor = null;
        problem = null;
        if (!query.TryGetValue("cursor", out var values))
        {
            return true;
        }

        if (values.Count != 1)
        {
            problem = Problems.BadRequest("Query parameter 'cursor' is given more than once.");
            return false;
        }

        cursor = values[0] ?? string.Empty;
        return true;
    }

    // The 400 for a cursor the filter refused, with its reason.
    private static ProblemResult InvalidCursor(string error) =>
        new(StatusCodes.Status400BadRequest, "invalid-cursor", "The cursor is invalid.", $"Query parameter 'cursor': {error}");

    /// <summary>
    /// An ISO 8601 date or date-time (no zone: UTC), cut to microseconds so the filter means what
    /// Postgres compares; <paramref name="label"/> names the field in the 400.
    /// </summary>
    public static bool TryParseTime(string text, string label, out DateTimeOffset time, [NotNullWhen(false)] out ProblemResult? problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        problem = null;
        if (!DateTimeOffset.TryParseExact(text, TimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            // In a query string an unescaped '+' arrives as a space: say so, it is the usual cause.
            var hint = text.Contains(' ', StringComparison.Ordinal) ? " (in a query string, send '+' as %2B)" : string.Empty;
            problem = Problems.BadRequest($"{label} '{JsonText.Truncate(text)}' is not an ISO 8601 date or date-time such as 2026-11-23 or 2026-11-23T10:00:00Z{hint}.");
            time = default;
            return false;
        }

        time = new DateTimeOffset(parsed.UtcTicks - (parsed.UtcTicks % 10), TimeSpan.Zero);
        return true;
    }
}
