using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using SalesAuto.Core.Events;
using SalesAuto.Core.Privacy;
using SalesAuto.Core.RetryQueue;

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
/// the same dead letter at once run it once), its event runs through processing now, and it ends
/// <c>replayed</c>, or goes back into the retry queue with fresh attempts when its enrollment is
/// still missing (the retry cycle then marks it replayed, or failed again when attempts run out).
/// Every id gets an audit row naming the caller.
/// </summary>
public sealed class DeadLetterReplayer(
    IEventProcessor processor,
    IRetryQueue queue,
    IDeadLetterStore store,
    SuppressionHits suppressionHits,
    RetryPolicy retryPolicy,
    IOptions<DeadLetterOptions> deadLetterOptions,
    ILogger<DeadLetterReplayer> logger)
{
    /// <summary>The audit actor of the replays the retry cycle starts for expired claims.</summary>
    public const string RecoveryActor = "retry-cycle";

    private static readonly JsonElement RecoveryDetail = JsonDocument.Parse("""{"reason":"replay claim expired"}""").RootElement.Clone();

    /// <summary>Events processed per round trip when a replay covers many dead letters.</summary>
    public const int ChunkSize = 500;

    /// <summary>
    /// Replays the dead letters whose replay claim expired (<c>DeadLetters:ReplayClaimTimeout</c>):
    /// a replay that died between its claim and storing or requeueing their events. Run by the
    /// retry cycle; at most <see cref="ChunkSize"/> per call. Returns how many were replayed again.
    /// </summary>
    public async Task<int> RecoverExpiredClaimsAsync(CancellationToken cancellationToken)
    {
        var ids = await store.FindExpiredClaimsAsync(ChunkSize, cancellationToken).ConfigureAwait(false);
        if (ids.Count == 0)
        {
            return 0;
        }

        Log.RecoveringExpiredClaims(logger, ids.Count);
        await ReplayAsync(ids, includeIgnored: false, force: false, RecoveryActor, RecoveryDetail, cancellationToken).ConfigureAwait(false);
        return ids.Count;
    }

    /// <summary>
    /// Replays <paramref name="ids"/>; results in the order given. <paramref name="force"/> also
    /// replays dead letters left <c>replaying</c> whose claim has not expired yet (a replay
    /// interrupted by an outage is also recovered by the retry cycle once its claim expires):
    /// safe, since processing and enqueueing are both idempotent per event.
    /// </summary>
    public async Task<IReadOnlyList<DeadLetterIdResult>> ReplayAsync(IReadOnlyList<Guid> ids, bool includeIgnored, bool force, string actor, JsonElement? detail, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var results = new Dictionary<Guid, string>();
        foreach (var chunk in ids.Distinct().Chunk(ChunkSize))
        {
            await ReplayChunkAsync(chunk, includeIgnored, force, actor, results, cancellationToken).ConfigureAwait(false);
        }

        var ordered = ids.Distinct().Select(id => new DeadLetterIdResult(id, results[id])).ToList();
        await store.WriteAuditAsync(actor, DeadLetterAuditActions.Replay, [.. ordered.Select(r => (r.Id, r.Result))], detail, CancellationToken.None).ConfigureAwait(false);
        Log.Replayed(logger, actor, ordered.Count(r => r.Result is DeadLetterReplayResults.Replayed or DeadLetterReplayResults.Duplicate), ordered.Count(r => r.Result == DeadLetterReplayResults.Requeued), ordered.Count);
        return ordered;
    }

    private async Task ReplayChunkAsync(Guid[] ids, bool includeIgnored, bool force, string actor, Dictionary<Guid, string> results, CancellationToken cancellationToken)
    {
        var claimed = await ClaimAsync(ids, includeIgnored, force, results, cancellationToken).ConfigureAwait(false);
        if (claimed.Count == 0)
        {
            return;
        }

        IReadOnlyList<EventOutcome> outcomes;
        try
        {
            outcomes = await processor.ApplyAsync([.. claimed.Select(c => c.Event)], cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException or OperationCanceledException)
        {
            await RevertAsync(claimed).ConfigureAwait(false);
            throw;
        }

        var resolved = new List<Guid>();
        var requeue = new List<Claimed>();
        var suppressed = new List<Claimed>();
        for (var i = 0; i < claimed.Count; i++)
        {
            switch (outcomes[i])
            {
                case EventOutcome.Applied:
                    resolved.Add(claimed[i].Id);
                    results[claimed[i].Id] = DeadLetterReplayResults.Replayed;
                    break;
                case EventOutcome.Duplicate:
                    resolved.Add(claimed[i].Id);
                    results[claimed[i].Id] = DeadLetterReplayResults.Duplicate;
                    break;
                case EventOutcome.Suppressed:
                    suppressed.Add(claimed[i]);
                    results[claimed[i].Id] = DeadLetterReplayResults.Suppressed;
                    break;
                default:
                    requeue.Add(claimed[i]);
                    break;
            }
        }

        // Once the events are stored the rest runs to its end: cancelling now would leave rows replaying.
        await store.MarkReplayedAsync(resolved, CancellationToken.None).ConfigureAwait(false);
        if (suppressed.Count > 0)
        {
            await store.EraseAsync([.. suppressed.Select(c => c.Id)], CancellationToken.None).ConfigureAwait(false);
            await suppressionHits.RecordAsync(actor, [.. suppressed.Select(c => c.Event)], CancellationToken.None).ConfigureAwait(false);
        }

        if (requeue.Count > 0)
        {
            await RequeueAsync(requeue, results).ConfigureAwait(false);
        }
    }

    private async Task<List<Claimed>> ClaimAsync(Guid[] ids, bool includeIgnored, bool force, Dictionary<Guid, string> results, CancellationToken cancellationToken)
    {
        foreach (var id in ids)
        {
            results[id] = DeadLetterReplayResults.NotFound;
        }

        var claims = await store.ClaimForReplayAsync(ids, includeIgnored, force, deadLetterOptions.Value.ReplayClaimTimeout, cancellationToken).ConfigureAwait(false);
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

    private async Task RequeueAsync(List<Claimed> requeue, Dictionary<Guid, string> results)
    {
        IReadOnlyList<EnqueueOutcome> parked;
        try
        {
            parked = await queue.EnqueueAsync(
                [.. requeue.Select(c => (new OrphanItem(c.Event, 0, c.FirstSeenAt, c.Id), retryPolicy.NextDelay(0)))],
                CancellationToken.None).ConfigureAwait(false);
        }
        catch (RetryQueueUnavailableException)
        {
            parked = [.. requeue.Select(_ => EnqueueOutcome.Full)];
        }

        var refused = new List<Claimed>();
        for (var i = 0; i < requeue.Count; i++)
        {
            if (parked[i] == EnqueueOutcome.Full)
            {
                refused.Add(requeue[i]);
                results[requeue[i].Id] = DeadLetterReplayResults.Failed;
            }
            else
            {
                results[requeue[i].Id] = DeadLetterReplayResults.Requeued;
            }
        }

        await RevertAsync(refused).ConfigureAwait(false);
        var queued = requeue.Where(c => results[c.Id] == DeadLetterReplayResults.Requeued).Select(c => c.Id).ToArray();
        if (queued.Length > 0)
        {
            try
            {
                await store.ReleaseClaimsAsync(queued, CancellationToken.None).ConfigureAwait(false);
            }
            catch (NpgsqlException exception)
            {
                // The claim then expires and the cycle replays them once more: enqueue is idempotent per event.
                Log.ReleaseClaimFailed(logger, queued.Length, exception.SqlState ?? "none");
            }
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
            await store.RevertClaimsAsync([.. claimed.Select(c => (c.Id, c.PreviousStatus))], CancellationToken.None).ConfigureAwait(false);
        }
        catch (NpgsqlException exception)
        {
            // Postgres is down too: the rows stay replaying with no queue item until their claim
            // expires (DeadLetters:ReplayClaimTimeout); then the retry cycle replays them.
            Log.RevertFailed(logger, claimed.Count, exception.SqlState ?? "none");
        }
    }

    private sealed record Claimed(Guid Id, DeadLetterStatus PreviousStatus, CanonicalEvent Event, DateTimeOffset FirstSeenAt);
}
