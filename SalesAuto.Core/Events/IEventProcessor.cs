namespace SalesAuto.Core.Events;

/// <summary>
/// Stores events exactly once against their enrollments. One call costs a fixed number of round
/// trips to Postgres whatever the number of events.
/// </summary>
public interface IEventProcessor
{
    /// <summary>
    /// Stores each event not stored before under its enrollment. Outcomes are in the order of
    /// <paramref name="events"/>; an event repeated within the batch is applied once and reported
    /// <see cref="EventOutcome.Duplicate"/> after that.
    /// </summary>
    Task<IReadOnlyList<EventOutcome>> ApplyAsync(IReadOnlyList<CanonicalEvent> events, CancellationToken cancellationToken);
}
