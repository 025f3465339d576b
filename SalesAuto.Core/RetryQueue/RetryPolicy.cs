using Microsoft.Extensions.Options;
using SalesAuto.Core.Events;

namespace SalesAuto.Core.RetryQueue;

/// <summary>What to do with a parked event after an attempt to apply it.</summary>
public abstract record RetryDecision
{
    private RetryDecision()
    {
    }

    /// <summary>Done with it (applied, a duplicate, or about an erased person): remove it from the queue.</summary>
    public sealed record Resolve : RetryDecision;

    /// <summary>Try again after <paramref name="Delay"/>; <paramref name="Attempts"/> now spent, <paramref name="Reason"/> the failure to record.</summary>
    public sealed record Reschedule(TimeSpan Delay, int Attempts, string Reason) : RetryDecision;

    /// <summary>Attempts exhausted: store it as a dead letter with <paramref name="Reason"/>, then remove it from the queue.</summary>
    public sealed record DeadLetter(int Attempts, string Reason) : RetryDecision;

    internal static readonly Resolve Resolved = new();
}

/// <summary>
/// The retry policy of parked events (docs/design.md, "Redis retry queue"), in one place: after an
/// attempt, resolve, reschedule after a delay, or dead-letter; and the delay before any attempt
/// (<c>RetryQueue:Delays</c>, the last repeating, plus up to <c>RetryQueue:JitterMax</c> of
/// random jitter, so orphans parked together do not all come due in the same instant), with
/// "attempt n of m" in every reason (<c>RetryQueue:MaxAttempts</c>).
/// </summary>
public sealed class RetryPolicy(IOptions<RetryQueueOptions> options)
{
    /// <summary>Decides what follows an attempt on <paramref name="item"/> that ended in <paramref name="outcome"/>.</summary>
    public RetryDecision Decide(OrphanItem item, EventOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (outcome is not EventOutcome.Orphan)
        {
            // Applied, a duplicate, or suppressed (dropped, never dead-lettered: docs/privacy.md).
            return RetryDecision.Resolved;
        }

        // The enrollment is still missing: this attempt is spent.
        var attempts = item.Attempts + 1;
        var maxAttempts = options.Value.MaxAttempts;
        return attempts >= maxAttempts
            ? new RetryDecision.DeadLetter(attempts, $"enrollment not found after {attempts} attempts")
            : new RetryDecision.Reschedule(NextDelay(attempts), attempts, $"enrollment not found (attempt {attempts} of {maxAttempts})");
    }

    /// <summary>The configured delay before the attempt that follows <paramref name="attemptsSoFar"/> failed ones, without jitter.</summary>
    public TimeSpan DelayAfter(int attemptsSoFar) => DelayAfter(options.Value, attemptsSoFar);

    /// <summary>The wait before the next attempt: <see cref="DelayAfter(int)"/> plus a random jitter of up to <c>RetryQueue:JitterMax</c>.</summary>
    public TimeSpan NextDelay(int attemptsSoFar) => NextDelay(options.Value, attemptsSoFar);

    internal static TimeSpan DelayAfter(RetryQueueOptions settings, int attemptsSoFar)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(attemptsSoFar);
        return settings.Delays[Math.Min(attemptsSoFar, settings.Delays.Count - 1)];
    }

    internal static TimeSpan NextDelay(RetryQueueOptions settings, int attemptsSoFar) =>
        DelayAfter(settings, attemptsSoFar) + TimeSpan.FromTicks((long)(Random.Shared.NextDouble() * Math.Max(0, settings.JitterMax.Ticks)));
}
