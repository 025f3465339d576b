using System.ComponentModel.DataAnnotations;

namespace SalesAuto.Core.Resilience;

/// <summary>
/// Settings of the <c>Resilience</c> section: the per-call timeout and the circuit breaker that
/// guard each dependency (Postgres, Redis) separately, with the same settings.
/// </summary>
public sealed class ResilienceOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Resilience";

    /// <summary>
    /// <c>Resilience:AttemptTimeout</c>: how long one guarded call (storing a webhook's events,
    /// an enrollment, a queue script, one health check) may take before it counts as failed and
    /// the caller answers 503. A stalled server (frozen failover, partition) never answers at all,
    /// so without this bound every request would wait for the client libraries' own timeouts.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00", ErrorMessage = "Resilience:AttemptTimeout must be between 100 ms and 1 minute.")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary><c>Resilience:FailureRatio</c>: the share of failed calls within the sampling duration that opens the breaker.</summary>
    [Range(0.01, 1.0, ErrorMessage = "Resilience:FailureRatio must be between 0.01 and 1.")]
    public double FailureRatio { get; set; } = 0.5;

    /// <summary><c>Resilience:MinimumThroughput</c>: calls needed within the sampling duration before the ratio is judged.</summary>
    [Range(2, 10_000, ErrorMessage = "Resilience:MinimumThroughput must be between 2 and 10000.")]
    public int MinimumThroughput { get; set; } = 5;

    /// <summary><c>Resilience:SamplingDuration</c>: the window the failure ratio is measured over.</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "01:00:00", ErrorMessage = "Resilience:SamplingDuration must be between 500 ms and 1 hour.")]
    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// <c>Resilience:BreakDuration</c>: how long an open breaker refuses calls (503 with this as
    /// <c>Retry-After</c>) before it lets one probe call through (half-open); the probe's success
    /// closes it, its failure opens it again.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "00:10:00", ErrorMessage = "Resilience:BreakDuration must be between 500 ms and 10 minutes.")]
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(5);
}
