using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Http;
using SalesAuto.Core.Http;

namespace SalesAuto.Core.Audit;

/// <summary>
/// Which audit entries <c>GET /api/audit</c> lists: every criterion optional, those given must all
/// match; <see cref="From"/> and <see cref="To"/> bound the entry's time, both inclusive.
/// </summary>
/// <param name="Action">Only this action (<see cref="AuditActions"/>).</param>
/// <param name="Actor">Only this actor (exact).</param>
/// <param name="From">At or after (UTC, microsecond precision).</param>
/// <param name="To">At or before (UTC, microsecond precision).</param>
public sealed record AuditFilter(string? Action = null, string? Actor = null, DateTimeOffset? From = null, DateTimeOffset? To = null)
{
    /// <summary>The longest actor accepted.</summary>
    public const int MaxActorLength = 200;

    /// <summary>The criteria's query parameter names.</summary>
    public static IReadOnlyList<string> Names { get; } = ["action", "actor", "from", "to"];

    /// <summary>Reads the criteria from the query string; other parameters are ignored. A criterion given twice, empty or invalid is a 400 naming it.</summary>
    public static bool TryParse(IQueryCollection query, [NotNullWhen(true)] out AuditFilter? filter, [NotNullWhen(false)] out ProblemResult? problem)
    {
        filter = null;
        if (!PageQuery.TryReadCriteria(query, Names, out var values, out problem))
        {
            return false;
        }

        foreach (var (name, text) in values)
        {
            if (text.Length == 0 || !JsonText.IsStorable(text))
            {
                problem = Problems.BadRequest($"Query parameter '{name}' must be non-empty valid Unicode without NUL.");
                return false;
            }
        }

        if (values.TryGetValue("action", out var action) && !AuditActions.All.Contains(action, StringComparer.Ordinal))
        {
            problem = Problems.BadRequest($"Query parameter 'action' '{JsonText.Truncate(action)}' is not an action; use one of {string.Join(", ", AuditActions.All)}.");
            return false;
        }

        if (values.TryGetValue("actor", out var actor) && actor.Length > MaxActorLength)
        {
            problem = Problems.BadRequest($"Query parameter 'actor' must be 1 to {MaxActorLength} characters; it has {actor.Length}.");
            return false;
        }

        if (!TryTime(values, "from", out var from, out problem) || !TryTime(values, "to", out var to, out problem))
        {
            return false;
        }

        if (from > to)
        {
            problem = Problems.BadRequest($"Query parameter 'from' ({from:O}) is after 'to' ({to:O}).");
            return false;
        }

        filter = new AuditFilter(action, actor, from, to);
        problem = null;
        return true;
    }

    /// <summary>A cursor that continues this filter's list after <paramref name="position"/>.</summary>
    internal string EncodeCursor(AuditPosition position) => KeysetCursor.Encode(position.At, position.Id, Digest());

    /// <summary>The position a cursor issued for this filter carries, or why it is refused.</summary>
    internal bool TryDecodeCursor(string cursor, out AuditPosition position, out string error)
    {
        var ok = KeysetCursor.TryDecode(cursor, Digest(), out var at, out long id, out error);
        position = ok ? new AuditPosition(at, id) : default;
        return ok;
    }

    // A cursor only continues the list it came from: the criteria's digest rides in it.
    private byte[] Digest() => KeysetCursor.Digest(
        Action,
        Actor,
        From is { } from ? KeysetCursor.ToMicroseconds(from) : null,
        To is { } to ? KeysetCursor.ToMicroseconds(to) : null);

    private static bool TryTime(Dictionary<string, string> values, string name, out DateTimeOffset? time, [NotNullWhen(false)] out ProblemResult? problem)
    {
        time = null;
        problem = null;
        if (!values.TryGetValue(name, out var text))
        {
            return true;
        }

        if (!PageQuery.TryParseTime(text, $"Query parameter '{name}'", out var parsed, out problem))
        {
            return false;
        }

        time = parsed;
        return true;
    }
}
