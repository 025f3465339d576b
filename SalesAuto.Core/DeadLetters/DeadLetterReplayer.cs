using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using SalesAuto.Core.Events;
using SalesAuto.Core.Postgres;
using SalesAuto.Core.Resilience;
using SalesAuto.Core.Webhooks;

namespace SalesAuto.Core.DeadLetters;

/// <summary>The per-id results of <c>POST /api/dlq/replay</c>.</summary>
internal static class DeadLetterReplayResults
{
    /// <summary>Its event was applied now: status replayed.</summary>
    public const string Replayed = "replayed";

    /// <summary>Its event had been stored meanwhile: status replayed, nothing counted twice.</summary>
    public const string Duplicate = "duplicate";

    /// <summary>Its enrollment is still missing: back in the retry queue with fresh attempts, status replaying.</summary>
    public const string Requeued = "requeued";

    /// <summary>Replayed before: nothing done.</summary>
    public const string AlreadyReplayed = "already_replayed";

    /// <summary>Being replayed (by this or another request): nothing done.</summary>
    public const string AlreadyReplaying = "already_replaying";

    /// <summary>Ignored, and the request did not include ignored dead letters.</summary>
    public const string IgnoredSkipped = "ignored_skipped";

    /// <summary>No dead letter has this id.</summary>
    public const string NotFound = "not_found";

    /// <summary>Could not run (the retry queue refused it): nothing changed.</summary>
    public const string Failed = "failed";

    /// <summary>Its person was erased: not applied; the dead letter is anonymized and ignored (docs/privacy.md).</summary>
    public const string Suppressed = "suppressed";
}

/// <summary>
/// Replays dead letters: each is claimed (status <c>replaying</c>, row locked, so two replays of
/// the same dead letter at once run it once), its event goes through the one event intake
/// (<see cref="WebhookIntake"/>, as a webhook's would) and it ends <c>replayed</c>, or goes back
/// into the retry queue with fresh attempts when its enrollment is still missing (the retry cycle
/// then marks it replayed, or failed again when attempts run out). What the intake could not take
/// (a full or unavailable queue, Postgres down) gets its previous status back. Every id gets an
/// audit row naming the caller.
/// </summary>
public sealed class DeadLetterReplayer
{
    /// <summary>The audit actor of the replays the retry cycle starts for expired claims.</summary>
    public const string RecoveryActor = "retry-cycle";

    /// <summary>Events processed per round trip when a replay covers many dead letters.</summary>
    public const int ChunkSize = 500;

    private static readonly JsonElement RecoveryDetail = JsonDocument.Parse("""{"reason":"replay claim expired"}""").RootElement.Clone();

    private readonly WebhookIntake _intake;
    private readonly IDeadLetterStore _store;
    private readonly IOptions<DeadLetterOptions> _options;
    private readonly ILogger<DeadLetterReplayer> _logger;

    // Internal: the intake is. The DI registration builds it (SalesAutoServiceCollectionExtensions).
    internal DeadLetterReplayer(WebhookIntake intake, IDeadLetterStore store, IOptions<DeadLetterOptions> options, ILogger<DeadLetterReplayer> logger)
    {
        _intake = intake;
        _store = store;
        _options = options;
        _logger = logger;
    }

    /// <summary>
    /// Replays the dead letters whose replay claim expired (<c>DeadLetters:ReplayClaimTimeout</c>):
    /// a replay that died between its claim and storing or requeueing their events. Run by the
    /// retry cycle; at most <see cref="ChunkSize"/> per call. Returns how many were replayed again:
    /// none when Postgres could not store their events (the intake counted and logged that; their
    /// claims stay expired, so the next cycle tries again).
    /// </summary>
    public async Task<int> RecoverExpiredClaimsAsync(CancellationToken cancellationToken)
    {
        var ids = await _store.FindExpiredClaimsAsync(ChunkSize, cancellationToken).ConfigureAwait(false);
        if (ids.Count == 0)
        {
            return 0;
        }

        Log.RecoveringExpiredClaims(_logger, ids.Count);
        var run = await RunAsync(ids, includeIgnored: false, force: false, RecoveryActor, RecoveryDetail, cancellationToken).ConfigureAwait(false);
        return run.Results is null ? 0 : ids.Count;
    }

    /// <summary>
    /// Replays <paramref name="ids"/>; results in the order given. <paramref name="force"/> also
    /// replays dead letters left <c>replaying</c> whose claim has not expired yet (a replay
    /// interrupted by an outage is also recovered by the retry cycle once its claim expires):
    /// safe, since processing and enqueueing are both idempotent per event.
    /// </summary>
    /// <exception cref="PostgresUnavailableException">
    /// Postgres could not store the events (already counted in <c>salesauto_postgres_errors_total</c>
    /// by the intake): the claimed dead letters have their status back; the caller answers 503.
    /// </exception>
    internal async Task<IReadOnlyList<DeadLetterIdResult>> ReplayAsync(IReadOnlyList<Guid> ids, bool includeIgnored, bool force, string actor, JsonElement? detail, CancellationToken cancellationToken)
    {
        var run = await RunAsync(ids, includeIgnored, force, actor, detail, cancellationToken).ConfigureAwait(false);
        return run.Results ?? throw new PostgresUnavailableException(
            "Postgres is unavailable: the claimed dead letters were given their status back and nothing was replayed.",
            run.Outage?.RetryAfter ?? TimeSpan.FromSeconds(30));
    }

    private async Task<ReplayRun> RunAsync(IReadOnlyList<Guid> ids, bool includeIgnored, bool force, string actor, JsonElement? detail, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var results = new Dictionary<Guid, string>();
        var done = new List<Guid>();
        foreach (var chunk in ids.Distinct().Chunk(ChunkSize))
        {
            if (await ReplayChunkAsync(chunk, includeIgnored, force, actor, results, cancellationToken).ConfigureAwait(false) is { } outage)
            {
                // The chunks before this one were replayed: they are audited even though the request fails.
                await AuditDoneAsync(actor, [.. done.Select(id => new DeadLetterIdResult(id, results[id]))], detail).ConfigureAwait(false);
                return new ReplayRun(null, outage);
            }

            done.AddRange(chunk);
        }

        var ordered = ids.Distinct().Select(id => new DeadLetterIdResult(id, results[id])).ToList();
        await _store.WriteAuditAsync(actor, DeadLetterAuditActions.Replay, [.. ordered.Select(r => (r.Id, r.Result))], detail, CancellationToken.None).ConfigureAwait(false);
        Log.Replayed(_logger, actor, ordered.Count(r => r.Result is DeadLetterReplayResults.Replayed or DeadLetterReplayResults.Duplicate), ordered.Count(r => r.Result == DeadLetterReplayResults.Requeued), ordered.Count);
        return new ReplayRun(ordered, null);
    }

    // One chunk through the intake; the outage when Postgres could not take it (claims reverted).
    private async Task<IntakeOutcome.PostgresUnavailable?> ReplayChunkAsync(Guid[] ids, bool includeIgnored, bool force, string actor, Dictionary<Guid, string> results, CancellationToken cancellationToken)
    {
        var claimed = await ClaimAsync(ids, includeIgnored, force, results, cancellationToken).ConfigureAwait(false);
        if (claimed.Count == 0)
        {
            return null;
        }

        IntakeOutcome outcome;
        try
        {
            var request = IntakeRequest.FromReplay(actor, [.. claimed.Select(c => new IntakeEvent(c.Event, c.FirstSeenAt, ReplayOf: c.Id))]);
            outcome = await _intake.IngestAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Cancelled, or a failure that is not an outage: what was stored is a duplicate to a
            // later replay, so the claims go back rather than stay replaying until they expire.
            await RevertAsync(claimed).ConfigureAwait(false);
            throw;
        }

        if (StoredOutcomes(outcome) is not (var outcomes, var isRefused))
        {
            // Postgres could not store them (a replay erases nobody, so the queue is not read first).
            await RevertAsync(claimed).ConfigureAwait(false);
            return outcome as IntakeOutcome.PostgresUnavailable
                ?? throw new InvalidOperationException($"The intake answered a replay with {outcome.GetType().Name}.");
        }

        var resolved = new List<Guid>();
        var suppressed = new List<Guid>();
        var queued = new List<Guid>();
        var failed = new List<Claimed>();
        for (var i = 0; i < claimed.Count; i++)
        {
            var id = claimed[i].Id;
            switch (outcomes[i])
            {
                case EventOutcome.Applied:
                    results[id] = DeadLetterReplayResults.Replayed;
                    resolved.Add(id);
                    break;
                case EventOutcome.Duplicate:
                    results[id] = DeadLetterReplayResults.Duplicate;
                    resolved.Add(id);
                    break;
                case EventOutcome.Suppressed:
                    results[id] = DeadLetterReplayResults.Suppressed;
                    suppressed.Add(id);
                    break;
                case EventOutcome.Orphan when isRefused(i):
                    results[id] = DeadLetterReplayResults.Failed;
                    failed.Add(claimed[i]);
                    break;
                default:
                    results[id] = DeadLetterReplayResults.Requeued;
                    queued.Add(id);
                    break;
            }
        }

        // Once the events are stored the rest runs to its end: cancelling now would leave rows replaying.
        await _store.MarkReplayedAsync(resolved, CancellationToken.None).ConfigureAwait(false);
        if (suppressed.Count > 0)
        {
            // The intake audited the suppression hits; the dead letters themselves are anonymized.
            await _store.EraseAsync(suppressed, CancellationToken.None).ConfigureAwait(false);
        }

        await RevertAsync(failed).ConfigureAwait(false);
        await ReleaseClaimsAsync(queued).ConfigureAwait(false);
        return null;
    }

    // Best effort: Postgres has just failed, so this write may fail too; the log line then names how many went unaudited.
    private async Task AuditDoneAsync(string actor, List<DeadLetterIdResult> done, JsonElement? detail)
    {
        if (done.Count == 0)
        {
            return;
        }

        try
        {
            await _store.WriteAuditAsync(actor, DeadLetterAuditActions.Replay, [.. done.Select(r => (r.Id, r.Result))], detail, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception exception) when (PostgresFailures.IsOutage(exception))
        {
            Log.AuditOfPartialReplayFailed(_logger, done.Count, (exception as PostgresException)?.SqlState ?? "none");
        }
    }

    // Every event's outcome when the intake stored them, and which orphans it could not park; null when it stored nothing.
    private static (IReadOnlyList<EventOutcome> Outcomes, Func<int, bool> IsRefused)? StoredOutcomes(IntakeOutcome outcome) => outcome switch
    {
        IntakeOutcome.Taken taken => (taken.Outcomes, static _ => false),
        IntakeOutcome.QueueFull full => (full.Outcomes, full.RefusedIndexes.Contains),
        IntakeOutcome.QueueUnavailable { Outcomes: { } stored } unavailable => (stored, unavailable.IsRefused),
        _ => null,
    };

    private async Task<List<Claimed>> ClaimAsync(Guid[] ids, bool includeIgnored, bool force, Dictionary<Guid, string> results, CancellationToken cancellationToken)
    {
        foreach (var id in ids)
        {
            results[id] = DeadLetterReplayResults.NotFound;
        }

        var claims = await _store.ClaimForReplayAsync(ids, includeIgnored, force, _options.Value.ReplayClaimTimeout, cancellationToken).ConfigureAwait(false);
        var claimed = new List<Claimed>(claims.Count);
        foreach (var claim in claims)
        {
            if (claim.Event is null)
            {
                results[claim.Id] = claim.Status switch
                {
                    DeadLetterStatus.Replayed => DeadLetterReplayResults.AlreadyReplayed,
                    DeadLetterStatus.Replaying => DeadLetterReplayResults.AlreadyReplaying,
                    _ => DeadLetterReplayResults.IgnoredSkipped,
                };
                continue;
            }

            claimed.Add(new Claimed(claim.Id, claim.Status, claim.Event, claim.FirstSeenAt));
        }

        return claimed;
    }

    // Requeued: the parked items carry the dead letters' ids, so the claims can go.
    private async Task ReleaseClaimsAsync(List<Guid> queued)
    {
        if (queued.Count == 0)
        {
            return;
        }

        try
        {
            await _store.ReleaseClaimsAsync(queued, CancellationToken.None).ConfigureAwait(false);
        }
        catch (NpgsqlException exception)
        {
            // The claim then expires and the cycle replays them once more: enqueue is idempotent per event.
            Log.ReleaseClaimFailed(_logger, queued.Count, exception.SqlState ?? "none");
        }
    }

    private async Task RevertAsync(List<Claimed> claimed)
    {
        if (claimed.Count == 0)
        {
            return;
        }

        try
        {
            await _store.RevertClaimsAsync([.. claimed.Select(c => (c.Id, c.PreviousStatus))], CancellationToken.None).ConfigureAwait(false);
        }
        catch (NpgsqlException exception)
        {
            // Postgres is down too: the rows stay replaying with no queue item until their claim
            // expires (DeadLetters:ReplayClaimTimeout); then the retry cycle replays them.
            Log.RevertFailed(_logger, claimed.Count, exception.SqlState ?? "none");
        }
    }

    private sealed record Claimed(Guid Id, DeadLetterStatus PreviousStatus, CanonicalEvent Event, DateTimeOffset FirstSeenAt);

    // A run's results, or the outage that stopped it (claims reverted, nothing audited).
    private sealed record ReplayRun(IReadOnlyList<DeadLetterIdResult>? Results, IntakeOutcome.PostgresUnavailable? Outage);
}
