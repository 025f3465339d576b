using SalesAuto.Core.Events;
using SalesAuto.Core.Privacy;

namespace SalesAuto.Core.Webhooks;

/// <summary>
/// What <see cref="WebhookIntake.IngestAsync"/> is asked to take: verified, parsed events of one source.
/// </summary>
/// <param name="Source">The configured source name (lower-cased), the metrics label of what is parked.</param>
/// <param name="Actor">Who the audit log names for suppressed events and erasures (<c>webhook:{source}</c> for a delivery).</param>
/// <param name="Events">The events, in delivery order; outcomes come back in the same order.</param>
/// <param name="PeopleToErase">People the delivery asks to erase before its events are stored (a HubSpot <c>contact.privacyDeletion</c>); usually none.</param>
internal sealed record IntakeRequest(string Source, string Actor, IReadOnlyList<IntakeEvent> Events, IReadOnlyList<PersonIdentifier> PeopleToErase)
{
    /// <summary>A verified webhook delivery: its events seen for the first time now.</summary>
    public static IntakeRequest FromWebhook(string source, IReadOnlyList<CanonicalEvent> events, IReadOnlyList<PersonIdentifier> peopleToErase)
    {
        ArgumentException.ThrowIfNullOrEmpty(source);
        ArgumentNullException.ThrowIfNull(events);
        return new(source, $"webhook:{source}", [.. events.Select(e => new IntakeEvent(e))], peopleToErase);
    }
}

/// <summary>One event to take, with what its orphan item keeps if it has to be parked.</summary>
/// <param name="Event">The canonical event.</param>
/// <param name="FirstSeenAt">When SalesAuto first received it; null for now (a new delivery).</param>
/// <param name="ReplayOf">The dead letter it replays, if any: the parked item remembers it.</param>
internal readonly record struct IntakeEvent(CanonicalEvent Event, DateTimeOffset? FirstSeenAt = null, Guid? ReplayOf = null);

/// <summary>
/// What <see cref="WebhookIntake.IngestAsync"/> decided: every event stored somewhere durable
/// (<see cref="Taken"/>), or a refusal because a dependency could not take them. A refusal
/// acknowledges nothing: the caller answers so that the events come again (a webhook: 503).
/// </summary>
internal abstract record IntakeOutcome
{
    private IntakeOutcome()
    {
    }

    /// <summary>Every event is in Postgres, parked in the retry queue, or suppressed.</summary>
    /// <param name="Outcomes">
    /// One per event, in request order; <see cref="EventOutcome.Orphan"/> means parked in the retry
    /// queue (its enrollment does not exist yet).
    /// </param>
    public sealed record Taken(IReadOnlyList<EventOutcome> Outcomes) : IntakeOutcome
    {
        /// <summary>Stored now under their enrollment.</summary>
        public int Applied => Outcomes.Count(o => o == EventOutcome.Applied);

        /// <summary>Stored before.</summary>
        public int Duplicates => Outcomes.Count(o => o == EventOutcome.Duplicate);

        /// <summary>Parked in the retry queue.</summary>
        public int Orphaned => Outcomes.Count(o => o == EventOutcome.Orphan);

        /// <summary>About an erased person: not stored, parked or logged.</summary>
        public int Suppressed => Outcomes.Count(o => o == EventOutcome.Suppressed);
    }

    /// <summary>Postgres is unavailable (an outage, not bad data): nothing was acknowledged.</summary>
    /// <param name="Failed">The events not acknowledged: all of them.</param>
    /// <param name="RetryAfter">When to try again, when the failure says (an open circuit).</param>
    public sealed record PostgresUnavailable(int Failed, TimeSpan? RetryAfter) : IntakeOutcome;

    /// <summary>Redis is unavailable.</summary>
    /// <param name="Failed">The events not acknowledged: all of them while erasing, the orphans while parking.</param>
    /// <param name="WhileErasing">True when a requested erasure could not reach the queue (nothing stored yet); false when orphans could not be parked.</param>
    /// <param name="RetryAfter">When to try again, when the failure says.</param>
    public sealed record QueueUnavailable(int Failed, bool WhileErasing, TimeSpan? RetryAfter) : IntakeOutcome;

    /// <summary>The retry queue is at <c>RetryQueue:MaxLength</c> and refused some orphans.</summary>
    /// <param name="Failed">The events not acknowledged: every orphan of the request.</param>
    /// <param name="Refused">The orphans the queue refused (the others are parked; parking is idempotent per event, so a redelivery does not park them twice).</param>
    public sealed record QueueFull(int Failed, int Refused) : IntakeOutcome;
}
