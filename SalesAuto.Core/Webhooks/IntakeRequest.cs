using SalesAuto.Core.Events;
using SalesAuto.Core.Privacy;

namespace SalesAuto.Core.Webhooks;

/// <summary>
/// What <see cref="WebhookIntake.IngestAsync"/> is asked to take: verified, parsed events of one source.
/// </summary>
/// <param name="Source">Where the events come from, for the log lines: the configured source name (lower-cased) of a delivery, <see cref="ReplaySource"/> for a dead-letter replay. Metrics are labelled by each event's own source.</param>
/// <param name="Actor">Who the audit log names for suppressed events and erasures (<c>webhook:{source}</c> for a delivery, the admin for a replay).</param>
/// <param name="Events">The events, in delivery order; outcomes come back in the same order.</param>
/// <param name="PeopleToErase">People the delivery asks to erase before its events are stored (a HubSpot <c>contact.privacyDeletion</c>); usually none.</param>
internal sealed record IntakeRequest(string Source, string Actor, IReadOnlyList<IntakeEvent> Events, IReadOnlyList<PersonIdentifier> PeopleToErase)
{
    /// <summary>The <see cref="Source"/> of a dead-letter replay's request.</summary>
    public const string ReplaySource = "dead-letter replay";

    /// <summary>A verified webhook delivery: its events seen for the first time now.</summary>
    public static IntakeRequest FromWebhook(string source, IReadOnlyList<CanonicalEvent> events, IReadOnlyList<PersonIdentifier> peopleToErase)
    {
        ArgumentException.ThrowIfNullOrEmpty(source);
        ArgumentNullException.ThrowIfNull(events);
        return new(source, $"webhook:{source}", [.. events.Select(e => new IntakeEvent(e))], peopleToErase);
    }

    /// <summary>
    /// Dead letters' events taken again on behalf of <paramref name="actor"/>: each keeps when it was
    /// first seen, and an orphan parked again remembers the dead letter it replays. Nothing to erase.
    /// </summary>
    public static IntakeRequest FromReplay(string actor, IReadOnlyList<IntakeEvent> events)
    {
        ArgumentException.ThrowIfNullOrEmpty(actor);
        ArgumentNullException.ThrowIfNull(events);
        return new(ReplaySource, actor, events, []);
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
    /// <param name="Outcomes">
    /// When the events were stored and only parking failed: the processor's outcome per event, in
    /// request order (every <see cref="EventOutcome.Orphan"/> among them is not parked). Null when a
    /// requested erasure could not reach the queue, before anything was stored.
    /// </param>
    /// <param name="RetryAfter">When to try again, when the failure says.</param>
    public sealed record QueueUnavailable(int Failed, IReadOnlyList<EventOutcome>? Outcomes, TimeSpan? RetryAfter) : IntakeOutcome
    {
        /// <summary>True when a requested erasure could not reach the queue (nothing stored yet); false when orphans could not be parked.</summary>
        public bool WhileErasing => Outcomes is null;

        /// <summary>Whether the event at <paramref name="index"/> is not stored anywhere (an orphan that could not be parked).</summary>
        public bool IsRefused(int index) => Outcomes is null || Outcomes[index] == EventOutcome.Orphan;
    }

    /// <summary>The retry queue is at <c>RetryQueue:MaxLength</c> and refused some orphans.</summary>
    /// <param name="Failed">The events not acknowledged: every orphan of the request.</param>
    /// <param name="Outcomes">The processor's outcome per event, in request order (the stored, duplicate and suppressed ones are done).</param>
    /// <param name="RefusedIndexes">
    /// The request indexes of the orphans the queue refused; the other orphans are parked (parking
    /// is idempotent per event, so a redelivery does not park them twice).
    /// </param>
    public sealed record QueueFull(int Failed, IReadOnlyList<EventOutcome> Outcomes, IReadOnlySet<int> RefusedIndexes) : IntakeOutcome
    {
        /// <summary>How many orphans the queue refused.</summary>
        public int Refused => RefusedIndexes.Count;
    }
}
