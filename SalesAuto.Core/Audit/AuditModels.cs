using System.Text.Json;

namespace SalesAuto.Core.Audit;

/// <summary>The actions audit_log records (its check constraint lists the same).</summary>
internal static class AuditActions
{
    /// <summary>A dead-letter replay (one row per dead letter).</summary>
    public const string Replay = "replay";

    /// <summary>A dead-letter ignore (one row per dead letter).</summary>
    public const string Ignore = "ignore";

    /// <summary>A privacy export.</summary>
    public const string Export = "export";

    /// <summary>A privacy erase (or its dry run), by an admin or by a HubSpot <c>contact.privacyDeletion</c>.</summary>
    public const string Erase = "erase";

    /// <summary>Events about an erased person that were not stored.</summary>
    public const string Suppressed = "suppressed";

    /// <summary>Every action, as <c>GET /api/audit?action=</c> accepts them.</summary>
    public static IReadOnlyList<string> All { get; } = [Replay, Ignore, Export, Erase, Suppressed];
}

/// <summary>One audit_log row to write.</summary>
/// <param name="Actor">Who: an admin key's name, <c>webhook:{source}</c>, or <c>retry-cycle</c>.</param>
/// <param name="Action">One of <see cref="AuditActions"/>.</param>
/// <param name="Outcome">What came of it, e.g. <c>erased</c>, <c>nothing_found</c>, <c>dry_run</c>, <c>exported</c>.</param>
/// <param name="Subject">The person, as the keyed hash under the current <c>Privacy:HashKeys</c> key; null for dead-letter actions.</param>
/// <param name="Detail">Counts and the like, as a JSON object; never personal data.</param>
public sealed record AuditRecord(string Actor, string Action, string Outcome, byte[]? Subject, object? Detail);

/// <summary>One audit entry as <c>GET /api/audit</c> and the export show it.</summary>
/// <param name="Id">Its id (increasing).</param>
/// <param name="At">When.</param>
/// <param name="Actor">Who.</param>
/// <param name="Action">What.</param>
/// <param name="Outcome">What came of it.</param>
/// <param name="DeadLetterId">The dead letter acted on (replay, ignore), else null.</param>
/// <param name="Subject">The person as a keyed hash (hex), else null.</param>
/// <param name="Detail">Counts, an ignore reason, a replay filter; or null.</param>
public sealed record AuditEntry(long Id, DateTimeOffset At, string Actor, string Action, string Outcome, Guid? DeadLetterId, string? Subject, JsonElement? Detail);

/// <summary>The position of an entry in the list's (at desc, id desc) order: what a cursor carries.</summary>
/// <param name="At">Its time (microseconds, as Postgres keeps it).</param>
/// <param name="Id">Its id, the tie-breaker.</param>
public readonly record struct AuditPosition(DateTimeOffset At, long Id);

/// <summary>One page of the list.</summary>
/// <param name="Items">Newest first.</param>
/// <param name="HasMore">Whether entries follow the last item.</param>
public sealed record AuditPage(IReadOnlyList<AuditEntry> Items, bool HasMore);
