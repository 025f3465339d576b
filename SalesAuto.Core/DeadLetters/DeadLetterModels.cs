using System.Text.Json;

namespace SalesAuto.Core.DeadLetters;

/// <summary>Where a dead letter stands. JSON and SQL spell them in lower case: <c>failed</c>, <c>replaying</c>, <c>replayed</c>, <c>ignored</c>.</summary>
public enum DeadLetterStatus
{
    /// <summary>Its attempts ran out; waiting for an operator.</summary>
    Failed,

    /// <summary>Replayed into the retry queue; it ends <see cref="Replayed"/> or <see cref="Failed"/> again.</summary>
    Replaying,

    /// <summary>Its event was applied (or was found already stored). Resolved.</summary>
    Replayed,

    /// <summary>An operator chose not to replay it. Resolved.</summary>
    Ignored,
}

/// <summary>The names of <see cref="DeadLetterStatus"/> as the table's check constraint and the API spell them.</summary>
internal static class DeadLetterStatuses
{
    /// <summary>Every status, in the order of the enum.</summary>
    public static IReadOnlyList<DeadLetterStatus> All { get; } = [DeadLetterStatus.Failed, DeadLetterStatus.Replaying, DeadLetterStatus.Replayed, DeadLetterStatus.Ignored];

    /// <summary>The lower-case name: <c>failed</c>, <c>replaying</c>, <c>replayed</c>, <c>ignored</c>.</summary>
    public static string ToName(this DeadLetterStatus status) => status switch
    {
        DeadLetterStatus.Failed => "failed",
        DeadLetterStatus.Replaying => "replaying",
        DeadLetterStatus.Replayed => "replayed",
        DeadLetterStatus.Ignored => "ignored",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Unknown dead-letter status."),
    };

    /// <summary>Parses a lower-case name exactly; false for anything else.</summary>
    public static bool TryParse(string? name, out DeadLetterStatus status)
    {
        foreach (var candidate in All)
        {
            if (string.Equals(candidate.ToName(), name, StringComparison.Ordinal))
            {
                status = candidate;
                return true;
            }
        }

        status = default;
        return false;
    }

    internal static DeadLetterStatus Parse(string name) =>
        TryParse(name, out var status) ? status : throw new InvalidOperationException($"dead_letters.status '{name}' is not a known status.");
}

/// <summary>One dead letter as the list shows it (no payload).</summary>
/// <param name="Id">Its id.</param>
/// <param name="Source">The webhook source it came from.</param>
/// <param name="EventId">The event's idempotency key within the source.</param>
/// <param name="Type">The event type.</param>
/// <param name="CampaignId">The campaign the event names, if any.</param>
/// <param name="Status">Where it stands.</param>
/// <param name="FailureReason">Why it was dead-lettered (the last failure).</param>
/// <param name="Attempts">Retry attempts spent before it was dead-lettered.</param>
/// <param name="ReplayCount">How many times it was replayed.</param>
/// <param name="FirstSeenAt">When SalesAuto first received the event.</param>
/// <param name="CreatedAt">When it was dead-lettered: the list's sort key.</param>
/// <param name="UpdatedAt">Its last change.</param>
/// <param name="ResolvedAt">When it became replayed or ignored; null while unresolved.</param>
public sealed record DeadLetterSummary(
    Guid Id,
    string Source,
    string EventId,
    string Type,
    string? CampaignId,
    DeadLetterStatus Status,
    string FailureReason,
    int Attempts,
    int ReplayCount,
    DateTimeOffset FirstSeenAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? ResolvedAt);

/// <summary>One dead letter with its payload and history (<c>GET /api/dlq/{id}</c>).</summary>
/// <param name="Summary">The fields the list shows.</param>
/// <param name="Payload">The provider's event JSON as received.</param>
/// <param name="History">Its audit entries, oldest first.</param>
public sealed record DeadLetterDetail(DeadLetterSummary Summary, JsonElement Payload, IReadOnlyList<DeadLetterAuditEntry> History);

/// <summary>One audit_log row about a dead letter.</summary>
/// <param name="At">When.</param>
/// <param name="Actor">Who: the admin key's name (SalesAuto.Server) or <c>function-key</c>.</param>
/// <param name="Action"><c>replay</c> or <c>ignore</c>.</param>
/// <param name="Outcome">The per-id result, e.g. <c>ignored</c>, <c>replayed</c>, <c>not_found</c>.</param>
/// <param name="Detail">The request's extra detail (an ignore reason, a replay filter), or null.</param>
public sealed record DeadLetterAuditEntry(DateTimeOffset At, string Actor, string Action, string Outcome, JsonElement? Detail);

/// <summary>The position of a dead letter in the list's (created_at desc, id desc) order: what a cursor carries.</summary>
/// <param name="CreatedAt">Its created_at (microsecond precision, as Postgres keeps it).</param>
/// <param name="Id">Its id, the tie-breaker.</param>
public readonly record struct DeadLetterPosition(DateTimeOffset CreatedAt, Guid Id);

/// <summary>One page of the list.</summary>
/// <param name="Items">Newest first.</param>
/// <param name="HasMore">Whether rows follow the last item.</param>
public sealed record DeadLetterListPage(IReadOnlyList<DeadLetterSummary> Items, bool HasMore);

/// <summary>The outcome of an operation on one dead letter (ignore, replay).</summary>
/// <param name="Id">The dead letter.</param>
/// <param name="Result">What happened, e.g. <c>ignored</c> or <c>not_found</c>.</param>
public sealed record DeadLetterIdResult(Guid Id, string Result);

/// <summary>The per-id results of <c>POST /api/dlq/ignore</c>.</summary>
internal static class DeadLetterIgnoreResults
{
    /// <summary>Was failed, is ignored now.</summary>
    public const string Ignored = "ignored";

    /// <summary>Was ignored already: nothing changed.</summary>
    public const string AlreadyIgnored = "already_ignored";

    /// <summary>No dead letter has this id.</summary>
    public const string NotFound = "not_found";

    /// <summary>Replaying or replayed: only failed dead letters can be ignored.</summary>
    public const string NotIgnorable = "not_ignorable";
}

/// <summary>The audit_log actions.</summary>
internal static class DeadLetterAuditActions
{
    /// <summary>A replay request.</summary>
    public const string Replay = "replay";

    /// <summary>An ignore request.</summary>
    public const string Ignore = "ignore";
}

/// <summary>Dead-letter counts (<c>GET /api/dlq/stats</c>).</summary>
/// <param name="ByStatus">Every status with its count, zeros included.</param>
/// <param name="BySourceAndType">Non-zero counts per source, type and status.</param>
/// <param name="OldestUnresolvedAgeSeconds">Age of the oldest failed or replaying dead letter, in whole seconds; null when there is none.</param>
/// <param name="Total">All dead letters.</param>
public sealed record DeadLetterStats(
    IReadOnlyDictionary<string, long> ByStatus,
    IReadOnlyList<DeadLetterCount> BySourceAndType,
    long? OldestUnresolvedAgeSeconds,
    long Total);

/// <summary>One row of <see cref="DeadLetterStats.BySourceAndType"/>.</summary>
/// <param name="Source">The source.</param>
/// <param name="Type">The event type.</param>
/// <param name="Status">The status.</param>
/// <param name="Count">How many.</param>
public sealed record DeadLetterCount(string Source, string Type, DeadLetterStatus Status, long Count);
