using SalesAuto.Core.Events;

namespace SalesAuto.Core.DeadLetters;

/// <summary>An orphan that exhausted its attempts, as the retry cycle hands it over.</summary>
/// <param name="Event">The event.</param>
/// <param name="Attempts">Attempts spent.</param>
/// <param name="FirstSeenAt">When SalesAuto first received it.</param>
/// <param name="FailureReason">Why, e.g. "enrollment not found after 6 attempts".</param>
public sealed record NewDeadLetter(CanonicalEvent Event, int Attempts, DateTimeOffset FirstSeenAt, string FailureReason);

/// <summary>The dead-letter table as the retry cycle uses it.</summary>
public interface IDeadLetterStore
{
    /// <summary>
    /// Writes dead letters in one statement, idempotently per (source, event id): a repeat (the
    /// cycle crashed between this write and the Redis ack) changes nothing; a dead letter that
    /// was being replayed goes back to status failed with the new reason and attempts.
    /// </summary>
    Task AddAsync(IReadOnlyList<NewDeadLetter> deadLetters, CancellationToken cancellationToken);

    /// <summary>Marks replaying dead letters replayed: their event was applied (or was already stored).</summary>
    Task MarkReplayedAsync(IReadOnlyList<Guid> ids, CancellationToken cancellationToken);
}
