using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SalesAuto.Core.Observability;
using SalesAuto.Core.RetryQueue;

namespace SalesAuto.Core.Resilience;

/// <summary>
/// The guards of the process's two dependencies, one breaker each, shared by every caller: the
/// webhook and enrollment handlers, the retry cycle, the dead-letter store and the gauges all see
/// one Postgres and one Redis, so one breaker each is what describes them.
/// </summary>
public sealed class DependencyCircuits
{
    /// <summary>Creates both guards.</summary>
    public DependencyCircuits(IOptions<ResilienceOptions> options, SalesAutoMetrics metrics, ILoggerFactory loggers, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggers);
        var logger = loggers.CreateLogger("SalesAuto.Resilience");
        Postgres = new DependencyCircuit(
            DependencyCircuit.Postgres,
            options.Value,
            DependencyFailures.IsPostgresOutage,
            static (message, retryAfter, cause) => new PostgresUnavailableException(message, retryAfter, cause),
            metrics,
            logger,
            time);
        Redis = new DependencyCircuit(
            DependencyCircuit.Redis,
            options.Value,
            DependencyFailures.IsRedisOutage,
            static (message, retryAfter, cause) => new RetryQueueUnavailableException($"The retry queue is unavailable: {message}.", cause) { RetryAfter = retryAfter },
            metrics,
            logger,
            time);
    }

    /// <summary>Postgres: events, enrollments, dead letters.</summary>
    public DependencyCircuit Postgres { get; }

    /// <summary>Redis: the retry queue.</summary>
    public DependencyCircuit Redis { get; }
}
