using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using SalesAuto.Core.DeadLetters;
using SalesAuto.Core.Events;
using SalesAuto.Core.Observability;
using SalesAuto.Core.Postgres;
using SalesAuto.Core.Privacy;
using StackExchange.Redis;

namespace SalesAuto.Core.RetryQueue;

/// <summary>How a cycle ended.</summary>
public enum CycleOutcome
{
    /// <summary>Ran until nothing was due, the budget was spent, or it was cancelled.</summary>
    Completed,

    /// <summary>Did not run: another cycle holds the lock, here or on another instance.</summary>
    Skipped,

    /// <summary>A dependency failed; what it held was released, nothing was lost.</summary>
    Failed,
}

/// <summary>What one cycle did.</summary>
public sealed record CycleResult(
    CycleOutcome Outcome,
    int Claimed = 0,
    int Applied = 0,
    int Duplicates = 0,
    int Rescheduled = 0,
    int DeadLettered = 0,
    int Released = 0,
    int Reclaimed = 0,
    int StaleAcks = 0,
    TimeSpan Duration = default,
    int ReplaysRecovered = 0);

/// <summary>What an enrollment did with the orphans parked for it.</summary>
/// <param name="Released">Parked items no longer waiting: leased and processed in this call, or made due now.</param>
/// <param name="Applied">Events stored by this call (the stats count them when it returns).</param>
public sealed record EnrollmentRelease(int Released, int Applied);

/// <summary>
/// The batch-limited retry cycle both hosts run on <c>RetryQueue:Schedule</c>: it claims batches of
/// <c>BatchSize</c> due orphans and keeps going while some remain, within a budget shorter than the
/// schedule's interval, so a backlog drains at full speed while each claim stays bounded. Cycles
/// never overlap: in-process by a semaphore, across instances by a Redis lock with a fencing token
/// (the Functions timer is a singleton, but its blob lease can be lost). Item leases with fencing
/// tokens make even a cycle that lost its lock harmless: a stale worker cannot ack. Each cycle
/// also replays again the dead letters whose replay claim expired (a replay that died after its
/// claim, DeadLetterReplayer.RecoverExpiredClaimsAsync), so none stays <c>replaying</c> with
/// nothing queued.
/// </summary>
public sealed class RetryCycle(
    IRetryQueue queue,
    IEventProcessor processor,
    IDeadLetterStore deadLetters,
    SuppressionHits suppressionHits,
    IOptions<RetryQueueOptions> options,
    RetryPolicy policy,
    SalesAutoMetrics metrics,
    CycleMonitor monitor,
    MetricsRefresher refresher,
    DeadLetterReplayer replayer,
    ILogger<RetryCycle> logger)
{
    /// <summary>The audit log's actor for events the cycle dropped as suppressed.</summary>
    public const string SuppressionActor = "retry-cycle";

    private readonly SemaphoreSlim _running = new(1, 1);
    private bool _postgresDown;
    private bool _redisDown;

    /// <summary>
    /// What a host's schedule calls (the Functions timer, the Server's hosted service): one cycle,
    /// or nothing when <c>RetryQueue:CycleEnabled</c> is false in this instance (null then).
    /// </summary>
    public async Task<CycleResult?> RunOnScheduleAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.CycleEnabled)
        {
            Log.Disabled(logger);
            return null;
        }

        return await RunAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs one cycle. Never throws for a dependency outage: the result says Failed and the next cycle resumes.</summary>
    public async Task<CycleResult> RunAsync(CancellationToken cancellationToken)
    {
        if (!await _running.WaitAsync(0, cancellationToken).ConfigureAwait(false))
        {
            return Finish(new CycleResult(CycleOutcome.Skipped));
        }

        try
        {
            return Finish(await RunLockedAsync(cancellationToken).ConfigureAwait(false));
        }
        finally
        {
            _running.Release();
        }
    }

    /// <summary>
    /// An enrollment was just stored: applies up to <c>BatchSize</c> of the orphans parked for it now,
    /// in the caller's request, and makes the rest due for the next cycle. The items are leased and
    /// acked exactly as a cycle does, so a cycle running at the same time cannot apply one twice;
    /// no cycle lock is needed. A Postgres failure gives the leased items back due now (no attempt
    /// spent) and reports none applied.
    /// </summary>
    /// <exception cref="RetryQueueUnavailableException">Redis could not be reached: nothing was released.</exception>
    public async Task<EnrollmentRelease> ApplyParkedAsync(IReadOnlyList<string> lookupKeys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lookupKeys);
        // Not the request's token: a client that goes away mid-call must not abandon a claim Redis
        // has already made (its items would wait out their lease with nobody applying them).
        var claim = await queue.PromoteAndClaimAsync(lookupKeys, options.Value.BatchSize, CancellationToken.None).ConfigureAwait(false);
        if (claim.Items.Count == 0)
        {
            return new EnrollmentRelease(claim.MadeDue, 0);
        }

        var totals = new Totals { Claimed = claim.Items.Count };
        try
        {
            await ProcessBatchAsync(claim.Items, totals, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (IsPostgresFailure(exception))
        {
            // Released due now by ProcessBatchAsync: the next cycle applies them.
            CountIfOutage(exception);
            Log.ApplyParkedFailed(logger, exception.GetType().Name, (exception as PostgresException)?.SqlState ?? "none");
            return new EnrollmentRelease(claim.MadeDue + claim.Items.Count, 0);
        }

        return new EnrollmentRelease(claim.MadeDue + claim.Items.Count, totals.Applied);
    }

    private async Task<CycleResult> RunLockedAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var started = Stopwatch.GetTimestamp();
        var budget = settings.EffectiveCycleBudget();
        // The lock outlives the budget by one lease, so a crashed holder blocks others briefly.
        var lockTtl = budget + settings.Lease;
        var totals = new Totals();
        try
        {
            var cycleLock = await queue.TryAcquireCycleLockAsync(lockTtl, cancellationToken).ConfigureAwait(false);
            if (cycleLock is null)
            {
                return new CycleResult(CycleOutcome.Skipped);
            }

            await using (cycleLock.ConfigureAwait(false))
            {
                await DrainAsync(cycleLock, settings.BatchSize, lockTtl, started, budget, totals, cancellationToken).ConfigureAwait(false);

                // Under the lock, so two instances do not replay the same expired claims at once
                // (harmless, every step is idempotent, but twice the work and two audit rows).
                if (!cancellationToken.IsCancellationRequested)
                {
                    totals.ReplaysRecovered += await replayer.RecoverExpiredClaimsAsync(cancellationToken).ConfigureAwait(false);
                }
            }

            Recovered();
            try
            {
                // Not the cycle's token: a drain that ended for shutdown still completed this cycle.
                await monitor.RecordCompletedAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (RedisException)
            {
                // Only the health check's timestamp: the next cycle writes it again.
                metrics.RedisErrors.Inc();
            }

            await refresher.RefreshAsync(CancellationToken.None).ConfigureAwait(false);
            return totals.ToResult(CycleOutcome.Completed, Stopwatch.GetElapsedTime(started));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return totals.ToResult(CycleOutcome.Completed, Stopwatch.GetElapsedTime(started));
        }
        catch (RetryQueueUnavailableException exception)
        {
            if (!_redisDown)
            {
                _redisDown = true;
                Log.RedisOutage(logger, exception.Message);
            }

            return totals.ToResult(CycleOutcome.Failed, Stopwatch.GetElapsedTime(started));
        }
        catch (Exception exception) when (IsPostgresFailure(exception))
        {
            CountIfOutage(exception);
            if (!_postgresDown)
            {
                _postgresDown = true;
                Log.PostgresOutage(logger, exception.GetType().Name, (exception as PostgresException)?.SqlState ?? "none");
            }

            return totals.ToResult(CycleOutcome.Failed, Stopwatch.GetElapsedTime(started));
        }
    }

    // Claims and processes batches until nothing is due, the budget is spent or the lock is lost.
    // The next batch is claimed before the current one is processed, and the lock is extended at
    // the same time: Redis leases the next batch while this process stores and acks the current
    // one, so the two do their share of the work side by side instead of taking turns (the drain
    // benchmark, docs/benchmarks.md). A batch claimed ahead that is not processed (the lock is
    // lost, the cycle fails or stops) is released, due now, with no attempt spent, as a batch
    // the cycle cannot finish always is.
    private async Task DrainAsync(ICycleLock cycleLock, int batchSize, TimeSpan lockTtl, long started, TimeSpan budget, Totals totals, CancellationToken cancellationToken)
    {
        // Not cancellable once sent: a claim abandoned half-way would lease items nobody knows
        // about until their lease expires. Cancellation and the budget are checked before claiming.
        bool MayClaim() => !cancellationToken.IsCancellationRequested && Stopwatch.GetElapsedTime(started) < budget;

        var next = MayClaim() ? queue.ClaimAsync(batchSize, CancellationToken.None) : null;
        Task<bool>? extending = null;
        try
        {
            while (next is not null)
            {
                var claiming = next;
                next = null;
                var claim = await claiming.ConfigureAwait(false);
                totals.Reclaimed += claim.Reclaimed;
                if (claim.Items.Count == 0)
                {
                    return;
                }

                totals.Claimed += claim.Items.Count;
                extending = cycleLock.ExtendAsync(lockTtl, CancellationToken.None);
                next = MayClaim() ? queue.ClaimAsync(batchSize, CancellationToken.None) : null;
                await ProcessBatchAsync(claim.Items, totals, cancellationToken).ConfigureAwait(false);
                var extended = await extending.ConfigureAwait(false);
                extending = null;
                if (!extended)
                {
                    Log.LockLost(logger);
                    return;
                }
            }
        }
        finally
        {
            if (next is not null)
            {
                await ReleaseAheadAsync(next, totals).ConfigureAwait(false);
            }

            if (extending is not null)
            {
                // The batch failed while the extension was in flight: observe it, its outcome no longer matters.
                try
                {
                    await extending.ConfigureAwait(false);
                }
                catch (Exception exception) when (exception is RetryQueueUnavailableException or RedisException)
                {
                    // Counted and logged by the queue. Caught whatever it was, so that it cannot
                    // replace the exception this batch is already failing with.
                }
            }
        }
    }

    // A batch claimed ahead that will not be processed goes back, due now. Never throws: on an
    // outage the lease simply expires and the next cycle reclaims the items.
    private async Task ReleaseAheadAsync(Task<ClaimResult> claiming, Totals totals)
    {
        try
        {
            var claim = await claiming.ConfigureAwait(false);
            totals.Reclaimed += claim.Reclaimed;
            if (claim.Items.Count == 0)
            {
                return;
            }

            totals.Claimed += claim.Items.Count;
            var released = await Task.WhenAll(claim.Items.Select(c => queue.ReleaseAsync(c, CancellationToken.None))).ConfigureAwait(false);
            totals.Released += released.Count(r => r);
            metrics.OrphansProcessed.WithLabels("released").Inc(claim.Items.Count);
        }
        catch (Exception exception) when (exception is RetryQueueUnavailableException or RedisException)
        {
            // Counted and logged by the queue (an outage, or a script error); the leases expire
            // and the items are reclaimed. Never thrown from here: this runs in a finally block.
        }
    }

    // One claimed batch: one round trip to store the events, then per item: ack, reschedule or
    // dead-letter. Postgres is written before Redis is told, so a crash in between repeats work
    // (idempotently) and never loses it. Once the events are stored, the rest runs to its end even
    // when the host is stopping: what is held is finished or released, never abandoned.
    private async Task ProcessBatchAsync(IReadOnlyList<ClaimedItem> batch, Totals totals, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        IReadOnlyList<EventOutcome> outcomes;
        try
        {
            outcomes = await processor.ApplyAsync([.. batch.Select(c => c.Item.Event)], cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (IsPostgresFailure(exception) || exception is OperationCanceledException)
        {
            // Not the enrollment's fault: no attempt is spent. Everything goes back, due now.
            var released = await Task.WhenAll(batch.Select(c => queue.ReleaseAsync(c, CancellationToken.None))).ConfigureAwait(false);
            totals.Released += released.Count(r => r);
            metrics.OrphansProcessed.WithLabels("released").Inc(batch.Count);
            throw;
        }

        var resolved = new List<ClaimedItem>();
        var suppressed = new List<CanonicalEvent>();
        var replayed = new List<Guid>();
        var exhausted = new List<(ClaimedItem Claimed, RetryDecision.DeadLetter Decision)>();
        var reschedules = new List<Task<bool>>();
        for (var i = 0; i < batch.Count; i++)
        {
            var claimed = batch[i];
            var item = claimed.Item;
            switch (policy.Decide(item, outcomes[i]))
            {
                case RetryDecision.Resolve when outcomes[i] == EventOutcome.Suppressed:
                    // About an erased person: dropped, never dead-lettered (docs/privacy.md). A dead
                    // letter it was replayed from was anonymized and resolved by the erase.
                    resolved.Add(claimed);
                    suppressed.Add(item.Event);
                    metrics.OrphansProcessed.WithLabels("suppressed").Inc();
                    break;
                case RetryDecision.Resolve:
                    resolved.Add(claimed);
                    if (item.ReplayOf is { } deadLetterId)
                    {
                        replayed.Add(deadLetterId);
                    }

                    var applied = outcomes[i] == EventOutcome.Applied;
                    metrics.OrphansProcessed.WithLabels(applied ? "applied" : "duplicate").Inc();
                    metrics.OrphanAttempts.Observe(item.Attempts + 1);
                    totals.Applied += applied ? 1 : 0;
                    totals.Duplicates += applied ? 0 : 1;
                    break;
                case RetryDecision.DeadLetter dead:
                    exhausted.Add((claimed, dead));
                    break;
                case RetryDecision.Reschedule again:
                    var updated = item with { Attempts = again.Attempts, LastFailure = again.Reason };
                    reschedules.Add(queue.RescheduleAsync(claimed, updated, again.Delay, CancellationToken.None));
                    break;
                case var decision:
                    throw new InvalidOperationException($"A retry decision the cycle does not know: {decision}.");
            }
        }

        try
        {
            if (replayed.Count > 0)
            {
                await deadLetters.MarkReplayedAsync(replayed, CancellationToken.None).ConfigureAwait(false);
            }

            await suppressionHits.RecordAsync(SuppressionActor, suppressed, CancellationToken.None).ConfigureAwait(false);

            if (exhausted.Count > 0)
            {
                await deadLetters.AddAsync(
                    [.. exhausted.Select(x => new NewDeadLetter(x.Claimed.Item.Event, x.Decision.Attempts, x.Claimed.Item.FirstSeenAt, x.Decision.Reason))],
                    CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception exception) when (IsPostgresFailure(exception))
        {
            // Not written to Postgres, so not removed from Redis: give them back unchanged.
            await Task.WhenAll(resolved.Concat(exhausted.Select(x => x.Claimed)).Select(c => queue.ReleaseAsync(c, CancellationToken.None))).ConfigureAwait(false);
            await Task.WhenAll(reschedules).ConfigureAwait(false);
            throw;
        }

        if (exhausted.Count > 0)
        {
            metrics.OrphansDeadLettered.Inc(exhausted.Count);
            metrics.OrphansProcessed.WithLabels("dead_lettered").Inc(exhausted.Count);
            foreach (var (_, decision) in exhausted)
            {
                metrics.OrphanAttempts.Observe(decision.Attempts);
            }

            totals.DeadLettered += exhausted.Count;
            resolved.AddRange(exhausted.Select(x => x.Claimed));
        }

        var acks = await queue.AckAsync(resolved, CancellationToken.None).ConfigureAwait(false);
        var rescheduled = await Task.WhenAll(reschedules).ConfigureAwait(false);
        metrics.OrphansProcessed.WithLabels("rescheduled").Inc(rescheduled.Length);
        totals.Rescheduled += rescheduled.Length;

        // A refused ack means our lease expired and another worker owns the item now; its effect
        // is idempotent, so the only cost is repeated work. Worth a log line: the lease is too short.
        var stale = acks.Count(a => !a) + rescheduled.Count(r => !r);
        if (stale > 0)
        {
            totals.StaleAcks += stale;
            Log.StaleLeases(logger, stale);
        }

        metrics.OrphanProcessing.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    private CycleResult Finish(CycleResult result)
    {
        var label = result.Outcome switch
        {
            CycleOutcome.Completed => "completed",
            CycleOutcome.Skipped => "skipped",
            _ => "failed",
        };
        metrics.RetryCycles.WithLabels(label).Inc();
        if (result.Claimed > 0 || result.Reclaimed > 0)
        {
            Log.CycleFinished(logger, label, result.Claimed, result.Applied + result.Duplicates, result.Rescheduled, result.DeadLettered, result.Reclaimed, result.Duration.TotalMilliseconds);
        }

        return result;
    }

    private void Recovered()
    {
        if (_postgresDown || _redisDown)
        {
            _postgresDown = _redisDown = false;
            Log.Recovered(logger);
        }
    }

    // Broader than PostgresFailures.IsOutage on purpose: the cycle never throws, so any Postgres error
    // releases what it holds without spending attempts (intake refused what Postgres cannot store).
    private static bool IsPostgresFailure(Exception exception) => exception is NpgsqlException or TimeoutException;

    // salesauto_postgres_errors_total counts dependency failures only, by the one classifier.
    private void CountIfOutage(Exception exception)
    {
        if (PostgresFailures.IsOutage(exception))
        {
            metrics.PostgresErrors.Inc();
        }
    }

    private sealed class Totals
    {
        public int Claimed;
        public int Applied;
        public int Duplicates;
        public int Rescheduled;
        public int DeadLettered;
        public int Released;
        public int Reclaimed;
        public int StaleAcks;
        public int ReplaysRecovered;

        public CycleResult ToResult(CycleOutcome outcome, TimeSpan duration) =>
            new(outcome, Claimed, Applied, Duplicates, Rescheduled, DeadLettered, Released, Reclaimed, StaleAcks, duration, ReplaysRecovered);
    }
}
