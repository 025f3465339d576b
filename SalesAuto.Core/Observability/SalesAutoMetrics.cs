using Prometheus;

namespace SalesAuto.Core.Observability;

/// <summary>
/// Every metric of DESIGN.md, declared once, each with its help text and fixed label set.
/// Each instance has its own registry, so two hosts in one process (tests) never mix their series.
/// </summary>
public sealed class SalesAutoMetrics
{
    /// <summary>Outcomes of one webhook event.</summary>
    public static readonly IReadOnlyList<string> EventOutcomes = ["applied", "duplicate", "orphaned", "suppressed", "failed"];

    /// <summary>
    /// Why a webhook delivery was rejected before any of its events was processed. A delivery whose
    /// events could not be stored or parked (a dependency down, the queue full) is not a rejection:
    /// its events count once, as <c>failed</c> in <see cref="EventOutcomes"/>.
    /// </summary>
    public static readonly IReadOnlyList<string> RejectReasons =
        ["unknown_source", "signature", "timestamp", "too_large", "unsupported_media_type", "malformed"];

    /// <summary>Outcomes of one orphan retry.</summary>
    public static readonly IReadOnlyList<string> OrphanOutcomes = ["applied", "duplicate", "rescheduled", "dead_lettered", "released", "suppressed"];

    /// <summary>Results of one retry cycle.</summary>
    public static readonly IReadOnlyList<string> CycleResults = ["completed", "skipped", "failed"];

    /// <summary>The guarded dependencies (circuit breakers).</summary>
    public static readonly IReadOnlyList<string> Dependencies = ["postgres", "redis"];

    /// <summary>Circuit breaker states, as <c>salesauto_circuit_transitions_total</c> labels them.</summary>
    public static readonly IReadOnlyList<string> CircuitStates = ["closed", "half_open", "open"];

    /// <summary>Creates the metrics in a fresh registry.</summary>
    public SalesAutoMetrics()
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        var factory = Prometheus.Metrics.WithCustomRegistry(Registry);

        WebhookEvents = factory.CreateCounter("salesauto_webhook_events_total", "Webhook events of verified deliveries, by source and outcome (applied, duplicate, orphaned; suppressed: about an erased person, not stored; failed: neither stored nor parked because Postgres or Redis is down or the retry queue is full, and the delivery was answered 503).", "source", "outcome");
        WebhookRejected = factory.CreateCounter("salesauto_webhook_rejected_total", "Webhook deliveries rejected before any event was processed, by source and reason (unknown_source, signature, timestamp, too_large, unsupported_media_type, malformed).", "source", "reason");
        OrphansEnqueued = factory.CreateCounter("salesauto_orphans_enqueued_total", "Orphan events parked in the retry queue, by source.", "source");
        OrphansProcessed = factory.CreateCounter("salesauto_orphans_processed_total", "Orphan retries, by outcome (applied, duplicate, rescheduled, dead_lettered, released, suppressed: about an erased person, dropped).", "outcome");
        OrphansDeadLettered = factory.CreateCounter("salesauto_orphans_dead_lettered_total", "Orphans that exhausted their attempts and became dead letters.");
        OrphansReclaimed = factory.CreateCounter("salesauto_orphans_reclaimed_total", "Orphans whose lease expired (a worker died or stalled) and were claimed again.");
        OrphanQueueDepth = factory.CreateGauge("salesauto_orphan_queue_depth", "Orphans in the retry queue, by state (due: waiting, leased: being processed).", "state");
        OrphanOldestDueAge = factory.CreateGauge("salesauto_orphan_oldest_due_age_seconds", "How long the most overdue orphan has been due (0 when none is overdue).");
        OrphanProcessing = factory.CreateHistogram("salesauto_orphan_processing_seconds", "Time to process one claimed batch of orphans.", new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 2, 14) });
        OrphanAttempts = factory.CreateHistogram("salesauto_orphan_attempts", "Attempts an orphan had spent when it was resolved (applied or dead-lettered).", new HistogramConfiguration { Buckets = Histogram.LinearBuckets(0, 1, 11) });
        RetryCycles = factory.CreateCounter("salesauto_retry_cycles_total", "Retry cycles, by result (completed, skipped: another cycle held the lock, failed).", "result");
        RedisErrors = factory.CreateCounter("salesauto_redis_errors_total", "Redis operations that failed.");
        PostgresErrors = factory.CreateCounter("salesauto_postgres_errors_total", "Postgres operations that failed.");
        HttpRequests = factory.CreateCounter("salesauto_http_requests_total", "HTTP requests, by route template, method and status.", "route", "method", "status");
        HttpRequestDuration = factory.CreateHistogram("salesauto_http_request_duration_seconds", "HTTP request duration, by route template and method.", new HistogramConfiguration { LabelNames = ["route", "method"], Buckets = Histogram.ExponentialBuckets(0.0005, 2, 16) });
        DeadLettersUnresolved = factory.CreateGauge("salesauto_dead_letters_unresolved", "Dead letters in status failed or replaying (refreshed by the retry cycle).");
        CircuitState = factory.CreateGauge("salesauto_circuit_state", "Circuit breaker state per dependency: 0 closed (calls flow), 1 half-open (one probe call), 2 open (calls answered 503 at once).", "dependency");
        CircuitTransitions = factory.CreateCounter("salesauto_circuit_transitions_total", "Circuit breaker transitions per dependency, by the state entered (closed, half_open, open).", "dependency", "state");

        // Pre-create the fixed label sets so dashboards see zeros instead of gaps.
        foreach (var outcome in OrphanOutcomes)
        {
            OrphansProcessed.WithLabels(outcome);
        }

        foreach (var result in CycleResults)
        {
            RetryCycles.WithLabels(result);
        }

        OrphanQueueDepth.WithLabels("due");
        OrphanQueueDepth.WithLabels("leased");
        foreach (var dependency in Dependencies)
        {
            CircuitState.WithLabels(dependency);
            foreach (var state in CircuitStates)
            {
                CircuitTransitions.WithLabels(dependency, state);
            }
        }
    }

    /// <summary>The registry these metrics live in.</summary>
    public CollectorRegistry Registry { get; }

    /// <summary><c>salesauto_webhook_events_total{source,outcome}</c>.</summary>
    public Counter WebhookEvents { get; }

    /// <summary><c>salesauto_webhook_rejected_total{source,reason}</c>.</summary>
    public Counter WebhookRejected { get; }

    /// <summary><c>salesauto_orphans_enqueued_total{source}</c>.</summary>
    public Counter OrphansEnqueued { get; }

    /// <summary><c>salesauto_orphans_processed_total{outcome}</c>.</summary>
    public Counter OrphansProcessed { get; }

    /// <summary><c>salesauto_orphans_dead_lettered_total</c>.</summary>
    public Counter OrphansDeadLettered { get; }

    /// <summary><c>salesauto_orphans_reclaimed_total</c>.</summary>
    public Counter OrphansReclaimed { get; }

    /// <summary><c>salesauto_orphan_queue_depth{state}</c>.</summary>
    public Gauge OrphanQueueDepth { get; }

    /// <summary><c>salesauto_orphan_oldest_due_age_seconds</c>.</summary>
    public Gauge OrphanOldestDueAge { get; }

    /// <summary><c>salesauto_orphan_processing_seconds</c>.</summary>
    public Histogram OrphanProcessing { get; }

    /// <summary><c>salesauto_orphan_attempts</c>.</summary>
    public Histogram OrphanAttempts { get; }

    /// <summary><c>salesauto_retry_cycles_total{result}</c>.</summary>
    public Counter RetryCycles { get; }

    /// <summary><c>salesauto_redis_errors_total</c>.</summary>
    public Counter RedisErrors { get; }

    /// <summary><c>salesauto_postgres_errors_total</c>.</summary>
    public Counter PostgresErrors { get; }

    /// <summary><c>salesauto_http_requests_total{route,method,status}</c>.</summary>
    public Counter HttpRequests { get; }

    /// <summary><c>salesauto_http_request_duration_seconds{route,method}</c>.</summary>
    public Histogram HttpRequestDuration { get; }

    /// <summary><c>salesauto_dead_letters_unresolved</c>.</summary>
    public Gauge DeadLettersUnresolved { get; }

    /// <summary><c>salesauto_circuit_state{dependency}</c>: 0 closed, 1 half-open, 2 open.</summary>
    public Gauge CircuitState { get; }

    /// <summary><c>salesauto_circuit_transitions_total{dependency,state}</c>.</summary>
    public Counter CircuitTransitions { get; }

    /// <summary>Records that <paramref name="dependency"/>'s breaker entered <paramref name="state"/> (the initial closed state is set, not counted).</summary>
    public void SetCircuitState(string dependency, Polly.CircuitBreaker.CircuitState state)
    {
        var (value, label) = state switch
        {
            Polly.CircuitBreaker.CircuitState.Closed => (0, "closed"),
            Polly.CircuitBreaker.CircuitState.HalfOpen => (1, "half_open"),
            _ => (2, "open"),
        };
        var gauge = CircuitState.WithLabels(dependency);
        if (gauge.Value != value)
        {
            CircuitTransitions.WithLabels(dependency, label).Inc();
        }

        gauge.Set(value);
    }

    /// <summary>Records one HTTP request; <paramref name="routeTemplate"/> is the template, never the raw path.</summary>
    public void ObserveHttpRequest(string routeTemplate, string method, int status, TimeSpan duration)
    {
        HttpRequests.WithLabels(routeTemplate, method, status.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
        HttpRequestDuration.WithLabels(routeTemplate, method).Observe(duration.TotalSeconds);
    }
}
