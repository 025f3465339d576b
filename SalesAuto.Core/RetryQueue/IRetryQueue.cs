using SalesAuto.Core.Events;

namespace SalesAuto.Core.RetryQueue;

/// <summary>An orphan waiting in the retry queue.</summary>
/// <param name="Event">The event.</param>
/// <param name="Attempts">Retries spent so far (the first delivery is not one).</param>
/// <param name="FirstSeenAt">When SalesAuto first received it.</param>
/// <param name="ReplayOf">The dead letter it was replayed from, if any: resolving the item resolves that dead letter.</param>
/// <param name="LastFailure">Why the last attempt did not apply it.</param>
public sealed record OrphanItem(CanonicalEvent Event, int Attempts, DateTimeOffset FirstSeenAt, Guid? ReplayOf = null, string? LastFailure = null)
{
    /// <summary>The item's id in the queue: one per event, so enqueueing is idempotent.</summary>
    public string Id => $"{Event.Source}\n{Event.EventId}";
}

/// <summary>An item held under a lease by one worker.</summary>
/// <param name="Item">The item as it was when claimed.</param>
/// <param name="Token">The fencing token of this claim: an ack or reschedule with an older token is refused.</param>
public sealed record ClaimedItem(OrphanItem Item, long Token);

/// <summary>The result of one claim.</summary>
/// <param name="Items">The items now leased to the caller, oldest due first.</param>
/// <param name="Reclaimed">How many expired leases were returned to the queue by this call.</param>
public sealed record ClaimResult(IReadOnlyList<ClaimedItem> Items, int Reclaimed);

/// <summary>The result of promoting an enrollment's parked items into the caller's hands.</summary>
/// <param name="Items">The items now leased to the caller, to apply and ack like any claimed item.</param>
/// <param name="MadeDue">Parked items beyond the limit, made due now for the next cycle.</param>
public sealed record PromoteClaimResult(IReadOnlyList<ClaimedItem> Items, int MadeDue);

/// <summary>What enqueueing did with one item.</summary>
public enum EnqueueOutcome
{
    /// <summary>Parked now.</summary>
    Enqueued,

    /// <summary>Already parked (a redelivery): its schedule is kept.</summary>
    AlreadyQueued,

    /// <summary>Refused: the queue holds <c>RetryQueue:MaxLength</c> items.</summary>
    Full,
}

/// <summary>The queue's size, read cheaply.</summary>
/// <param name="Due">Items waiting (due now or later).</param>
/// <param name="Leased">Items being processed.</param>
/// <param name="OldestDueAge">How long the most overdue item has been due; zero when none is overdue.</param>
public sealed record QueueDepth(long Due, long Leased, TimeSpan OldestDueAge);

/// <summary>
/// The orphan retry queue (docs/retry-queue.md): every state change is atomic; items are never
/// dropped silently; a worker whose lease expired can neither ack nor reschedule. Times are
/// relative (delays): the queue measures them on one clock, its own, so instances with skewed
/// clocks still agree on what is due and which lease has expired.
/// </summary>
public interface IRetryQueue
{
    /// <summary>
    /// Parks orphans, each due after its own delay (the caller adds the jitter); idempotent per
    /// event: an item already queued keeps its schedule and attempts.
    /// </summary>
    /// <exception cref="RetryQueueUnavailableException">Redis could not be reached.</exception>
    Task<IReadOnlyList<EnqueueOutcome>> EnqueueAsync(IReadOnlyList<(OrphanItem Item, TimeSpan Delay)> items, CancellationToken cancellationToken);

    /// <summary>Leases up to <paramref name="max"/> due items; expired leases are reclaimed first.</summary>
    Task<ClaimResult> ClaimAsync(int max, CancellationToken cancellationToken);

    /// <summary>Removes a resolved item. False when the lease expired or was taken over (stale worker).</summary>
    Task<bool> AckAsync(ClaimedItem claimed, CancellationToken cancellationToken);

    /// <summary>Acks a batch in one round trip; per item, in order, false when its lease is stale.</summary>
    Task<IReadOnlyList<bool>> AckAsync(IReadOnlyList<ClaimedItem> claimed, CancellationToken cancellationToken);

    /// <summary>Stores <paramref name="updated"/> and makes it due after <paramref name="delay"/>. False when the lease is stale.</summary>
    Task<bool> RescheduleAsync(ClaimedItem claimed, OrphanItem updated, TimeSpan delay, CancellationToken cancellationToken);

    /// <summary>Gives an item back unchanged, due now (shutdown, a dependency outage). False when the lease is stale.</summary>
    Task<bool> ReleaseAsync(ClaimedItem claimed, CancellationToken cancellationToken);

    /// <summary>Makes every parked item waiting for one of <paramref name="lookupKeys"/> due now; returns how many.</summary>
    Task<int> PromoteAsync(IReadOnlyList<string> lookupKeys, CancellationToken cancellationToken);

    /// <summary>
    /// Leases up to <paramref name="max"/> parked items waiting for one of <paramref name="lookupKeys"/>
    /// to the caller (who applies and acks them as the cycle would) and makes the rest due now.
    /// Items leased to another worker stay with it.
    /// </summary>
    Task<PromoteClaimResult> PromoteAndClaimAsync(IReadOnlyList<string> lookupKeys, int max, CancellationToken cancellationToken);

    /// <summary>The queue's depth.</summary>
    Task<QueueDepth> GetDepthAsync(CancellationToken cancellationToken);

    /// <summary>Takes the cross-instance cycle lock, or null when another holder has it.</summary>
    Task<ICycleLock?> TryAcquireCycleLockAsync(TimeSpan ttl, CancellationToken cancellationToken);
}

/// <summary>The cross-instance lock one retry cycle holds.</summary>
public interface ICycleLock : IAsyncDisposable
{
    /// <summary>The lock's fencing token.</summary>
    long Token { get; }

    /// <summary>Extends the lock; false when it was lost (expired and taken by another instance).</summary>
    Task<bool> ExtendAsync(TimeSpan ttl, CancellationToken cancellationToken);
}

/// <summary>Redis could not be reached or answered with an error.</summary>
internal sealed class RetryQueueUnavailableException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>When a call may succeed again, where the circuit breaker knows it (its time left open); else null.</summary>
    public TimeSpan? RetryAfter { get; init; }
}
