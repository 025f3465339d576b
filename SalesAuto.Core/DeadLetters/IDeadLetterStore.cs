using System.Text.Json;
using SalesAuto.Core.Events;

namespace SalesAuto.Core.DeadLetters;

/// <summary>An orphan that exhausted its attempts, as the retry cycle hands it over.</summary>
/// <param name="Event">The event.</param>
/// <param name="Attempts">Attempts spent.</param>
/// <param name="FirstSeenAt">When SalesAuto first received it.</param>
/// <param name="FailureReason">Why, e.g. "enrollment not found after 6 attempts".</param>
public sealed record NewDeadLetter(CanonicalEvent Event, int Attempts, DateTimeOffset FirstSeenAt, string FailureReason);

/// <summary>One dead letter a replay asked for, as the claim found it.</summary>
/// <param name="Id">The dead letter.</param>
/// <param name="Status">Its status before the claim.</param>
/// <param name="Event">Its event when the claim took it (status now replaying); null when it was not claimable.</param>
/// <param name="FirstSeenAt">When SalesAuto first received the event (meaningful when claimed).</param>
public sealed record DeadLetterClaim(Guid Id, DeadLetterStatus Status, CanonicalEvent? Event, DateTimeOffset FirstSeenAt);

/// <summary>
/// The dead_letters table (and its trigger-kept dead_letter_counts, and the dead-letter rows of
/// audit_log): every statement on it is a method here, except privacy's, which each span
/// enrollments, events and dead letters in one statement (the person look-up, the count and the
/// atomic erase in <c>PostgresPrivacyStore</c>, the export's streamed section; docs/design.md).
/// The retry cycle adds and resolves, the admin use cases (<see cref="DeadLetterService"/>)
/// list, read, ignore, count and replay, retention deletes, privacy erases by id.
/// </summary>
public interface IDeadLetterStore
{
    /// <summary>The largest list page.</summary>
    const int MaxPageSize = 200;

    /// <summary>The most ids <see cref="SelectIdsAsync"/> returns: replay-by-filter's hard cap.</summary>
    const int MaxSelect = 10_000;

    /// <summary>
    /// Writes dead letters in one statement, idempotently per (source, event id): a repeat (the
    /// cycle crashed between this write and the Redis ack) changes nothing; a dead letter that
    /// was being replayed goes back to status failed with the new reason and attempts.
    /// </summary>
    Task AddAsync(IReadOnlyList<NewDeadLetter> deadLetters, CancellationToken cancellationToken);

    /// <summary>Marks replaying dead letters replayed: their event was applied (or was already stored).</summary>
    Task MarkReplayedAsync(IReadOnlyList<Guid> ids, CancellationToken cancellationToken);

    /// <summary>
    /// One page of the list, newest first by (created_at desc, id desc), starting after
    /// <paramref name="after"/> (keyset: the page costs the same however deep it is); limit 1..<see cref="MaxPageSize"/>.
    /// </summary>
    Task<DeadLetterListPage> ListAsync(DeadLetterFilter filter, DeadLetterPosition? after, int limit, CancellationToken cancellationToken);

    /// <summary>One dead letter with its payload and its audit entries oldest first, or null when no dead letter has this id.</summary>
    Task<DeadLetterDetail?> GetAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>
    /// Marks failed dead letters ignored (resolved now) and writes one audit row per id, in one
    /// transaction. Results are in the order of <paramref name="ids"/> (<see cref="DeadLetterIgnoreResults"/>).
    /// </summary>
    Task<IReadOnlyList<DeadLetterIdResult>> IgnoreAsync(IReadOnlyList<Guid> ids, string actor, JsonElement? detail, CancellationToken cancellationToken);

    /// <summary>
    /// Writes one audit_log row per entry, in one statement. <paramref name="action"/> is
    /// <c>replay</c> or <c>ignore</c>; <paramref name="detail"/> is stored as jsonb on every row
    /// and must not hold <c>\u0000</c> or a lone surrogate: validate client text first.
    /// </summary>
    Task WriteAuditAsync(string actor, string action, IReadOnlyList<(Guid Id, string Outcome)> entries, JsonElement? detail, CancellationToken cancellationToken);

    /// <summary>
    /// The ids matching <paramref name="filter"/>, newest first, at most <paramref name="max"/>
    /// (1..<see cref="MaxSelect"/>); with <paramref name="statuses"/>, only dead letters in one of them.
    /// </summary>
    Task<IReadOnlyList<Guid>> SelectIdsAsync(DeadLetterFilter filter, IReadOnlyCollection<DeadLetterStatus>? statuses, int max, CancellationToken cancellationToken);

    /// <summary>How many <see cref="SelectIdsAsync"/> would find, counting no further than <paramref name="cap"/> (1..<see cref="MaxSelect"/> + 1).</summary>
    Task<int> CountAsync(DeadLetterFilter filter, IReadOnlyCollection<DeadLetterStatus>? statuses, int cap, CancellationToken cancellationToken);

    /// <summary>Counts by status and by source, type and status, and the oldest unresolved dead letter's age.</summary>
    Task<DeadLetterStats> GetStatsAsync(CancellationToken cancellationToken);

    /// <summary>Dead letters failed or replaying, from the trigger-kept counts (a few rows read).</summary>
    Task<long> CountUnresolvedAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Claims <paramref name="ids"/> for a replay in one statement, rows locked in id order: failed
    /// ones, ignored ones with <paramref name="includeIgnored"/>, replaying ones whose claim expired
    /// (or any with <paramref name="force"/>), never erased ones. A claimed row becomes replaying
    /// with a claim until now + <paramref name="claimTimeout"/>. One entry per id found.
    /// </summary>
    Task<IReadOnlyList<DeadLetterClaim>> ClaimForReplayAsync(IReadOnlyList<Guid> ids, bool includeIgnored, bool force, TimeSpan claimTimeout, CancellationToken cancellationToken);

    /// <summary>Gives claimed dead letters their previous status back (their replay could not run).</summary>
    Task RevertClaimsAsync(IReadOnlyList<(Guid Id, DeadLetterStatus Previous)> claims, CancellationToken cancellationToken);

    /// <summary>Releases the claim of replaying dead letters whose event is in the retry queue now.</summary>
    Task ReleaseClaimsAsync(IReadOnlyList<Guid> ids, CancellationToken cancellationToken);

    /// <summary>Replaying dead letters whose claim expired, the longest expired first, at most <paramref name="max"/>.</summary>
    Task<IReadOnlyList<Guid>> FindExpiredClaimsAsync(int max, CancellationToken cancellationToken);

    /// <summary>Deletes up to <paramref name="batchSize"/> replayed or ignored dead letters resolved before <paramref name="cutoff"/>; returns how many.</summary>
    Task<int> DeleteResolvedBatchAsync(DateTimeOffset cutoff, int batchSize, CancellationToken cancellationToken);

    /// <summary>Erases the person data of <paramref name="ids"/> (email, CRM id, payload); failed or replaying ones become ignored.</summary>
    Task<int> EraseAsync(IReadOnlyList<Guid> ids, CancellationToken cancellationToken);
}
