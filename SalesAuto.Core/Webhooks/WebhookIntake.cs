using Microsoft.Extensions.Logging;
using Npgsql;
using SalesAuto.Core.Events;
using SalesAuto.Core.Http;
using SalesAuto.Core.Observability;
using SalesAuto.Core.Postgres;
using SalesAuto.Core.Privacy;
using SalesAuto.Core.RetryQueue;

namespace SalesAuto.Core.Webhooks;

/// <summary>
/// The ingest use case: takes verified, parsed events and stores each one somewhere durable. The
/// pipeline is "erase what the delivery asks to erase, apply, else park as an orphan": events whose
/// enrollment exists are stored in Postgres once (a repeat is a duplicate), events about an erased
/// person are suppressed (not stored, parked or logged; audited), the rest are parked in the retry
/// queue. When Postgres or Redis cannot take them the outcome is a refusal that acknowledges
/// nothing. It never sees HTTP: <see cref="WebhookEndpoints"/> reads and verifies the delivery and
/// turns the outcome into the answer.
/// </summary>
/// <remarks>
/// <see cref="IngestAsync"/> is the one event intake of the webhook routes and the dead-letter
/// replay (<see cref="DeadLetters.DeadLetterReplayer"/>, through <see cref="IntakeRequest.FromReplay"/>),
/// which maps the per-event outcomes, refusals included, to its replay results. It counts
/// dependency metrics (Postgres errors, orphans enqueued by each event's source) once, here, but
/// not <c>salesauto_webhook_events_total</c>, which belongs to the webhook route.
/// </remarks>
internal sealed class WebhookIntake(
    RetryPolicy retryPolicy,
    IEventProcessor processor,
    IRetryQueue queue,
    PrivacyEraser eraser,
    SuppressionHits suppressionHits,
    SalesAutoMetrics metrics,
    TimeProvider time,
    ILogger<WebhookIntake> logger)
{
    /// <summary>Erases whom the request names, applies the events, parks the orphans; see <see cref="IntakeOutcome"/>.</summary>
    public async Task<IntakeOutcome> IngestAsync(IntakeRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var source = request.Source;
        CanonicalEvent[] events = [.. request.Events.Select(e => e.Event)];
        IReadOnlyList<EventOutcome> outcomes;
        try
        {
            // Before the events are stored: the deletion event itself, and anything else the
            // request says about that person, then come back suppressed.
            foreach (var person in request.PeopleToErase)
            {
                await eraser.EraseAsync(person, dryRun: false, request.Actor, cancellationToken).ConfigureAwait(false);
            }

            outcomes = await processor.ApplyAsync(events, cancellationToken).ConfigureAwait(false);
            await suppressionHits.RecordAsync(request.Actor, [.. events.Where((_, i) => outcomes[i] == EventOutcome.Suppressed)], cancellationToken).ConfigureAwait(false);
        }
        catch (RetryQueueUnavailableException)
        {
            // Only an erase reads the queue before the events are stored.
            Log.QueueUnavailable(logger, source, events.Length);
            return new IntakeOutcome.QueueUnavailable(events.Length, Outcomes: null, RetryAfter: null);
        }
        catch (Exception exception) when (PostgresFailures.IsOutage(exception) && !cancellationToken.IsCancellationRequested)
        {
            metrics.PostgresErrors.Inc();
            Log.StoreFailed(logger, source, exception.GetType().Name, (exception as PostgresException)?.SqlState ?? "none");
            return new IntakeOutcome.PostgresUnavailable(events.Length, Problems.RetryAfterOf(exception));
        }

        var orphans = new List<(OrphanItem, TimeSpan)>();
        var orphanIndexes = new List<int>();
        var now = time.GetUtcNow();
        for (var i = 0; i < events.Length; i++)
        {
            if (outcomes[i] == EventOutcome.Orphan)
            {
                var item = request.Events[i];
                orphans.Add((new OrphanItem(item.Event, 0, item.FirstSeenAt ?? now, item.ReplayOf), retryPolicy.NextDelay(0)));
                orphanIndexes.Add(i);
            }
        }

        if (orphans.Count > 0 && await ParkAsync(source, orphans, orphanIndexes, outcomes, cancellationToken).ConfigureAwait(false) is { } refusal)
        {
            return refusal;
        }

        return new IntakeOutcome.Taken(outcomes);
    }

    // Parks the orphans; a refusal, with every event's outcome, when the queue cannot take all of them.
    private async Task<IntakeOutcome?> ParkAsync(string source, List<(OrphanItem Item, TimeSpan)> orphans, List<int> orphanIndexes, IReadOnlyList<EventOutcome> outcomes, CancellationToken cancellationToken)
    {
        IReadOnlyList<EnqueueOutcome> parked;
        try
        {
            parked = await queue.EnqueueAsync(orphans, cancellationToken).ConfigureAwait(false);
        }
        catch (RetryQueueUnavailableException exception)
        {
            Log.QueueUnavailable(logger, source, orphans.Count);
            return new IntakeOutcome.QueueUnavailable(orphans.Count, outcomes, exception.RetryAfter);
        }

        // Labelled by each event's own source: a replay's request mixes sources.
        var refused = new HashSet<int>();
        for (var i = 0; i < parked.Count; i++)
        {
            if (parked[i] == EnqueueOutcome.Enqueued)
            {
                metrics.OrphansEnqueued.WithLabels(orphans[i].Item.Event.Source).Inc();
            }
            else if (parked[i] == EnqueueOutcome.Full)
            {
                refused.Add(orphanIndexes[i]);
            }
        }

        if (refused.Count == 0)
        {
            return null;
        }

        Log.QueueFull(logger, source, refused.Count);
        return new IntakeOutcome.QueueFull(orphans.Count, outcomes, refused);
    }
}
