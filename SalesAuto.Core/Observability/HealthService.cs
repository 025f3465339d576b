using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Npgsql;
using Polly.CircuitBreaker;
using SalesAuto.Core.Resilience;
using StackExchange.Redis;

namespace SalesAuto.Core.Observability;

/// <summary>The state of one component or of the whole service.</summary>
internal enum HealthStatus
{
    /// <summary>Working.</summary>
    Healthy,

    /// <summary>Working, but something that should work does not (Redis, the retry cycle).</summary>
    Degraded,

    /// <summary>Not working: Postgres is down, nothing can be stored.</summary>
    Unhealthy,
}

/// <summary>One component's check.</summary>
/// <param name="Status">The component's state.</param>
/// <param name="DurationMs">How long the check took.</param>
/// <param name="Error">Why it is not healthy (never a credential).</param>
/// <param name="LastCompletedAt">The retry cycle: when it last completed.</param>
/// <param name="Since">When the component became unhealthy, where that is known.</param>
internal sealed record ComponentHealth(
    HealthStatus Status,
    double DurationMs,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? LastCompletedAt = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? Since = null);

/// <summary>The health report <c>GET /api/health</c> answers with.</summary>
internal sealed record HealthReport(HealthStatus Status, DateTimeOffset CheckedAt, IReadOnlyDictionary<string, ComponentHealth> Components);

/// <summary>
/// Real checks: a query on Postgres, a PING on Redis, the retry cycle's last completion, run at
/// once and each bounded by <c>Resilience:AttemptTimeout</c>, so the report comes within that
/// bound even when a dependency is stalled (its processes stopped, a frozen failover) and answers
/// nothing. Postgres down is unhealthy (nothing can be stored); Redis down is degraded (events
/// with an enrollment are still stored; orphans are refused with 503 so providers redeliver).
/// The checks bypass the circuit breakers, so they see the dependency itself; an open breaker is
/// reported in the component's error (calls are still being refused until a probe succeeds).
/// </summary>
internal sealed class HealthService(NpgsqlDataSource dataSource, IConnectionMultiplexer redis, CycleMonitor cycle, TimeProvider time, DependencyCircuits circuits, IOptions<ResilienceOptions> resilience)
{
    private readonly TimeSpan _checkTimeout = resilience.Value.AttemptTimeout;

    /// <summary>Runs every check at once and combines them.</summary>
    public async Task<HealthReport> CheckAsync(CancellationToken cancellationToken)
    {
        var postgresTask = CheckAsync(circuits.Postgres, HealthStatus.Unhealthy, CheckPostgresAsync, cancellationToken);
        var redisTask = CheckAsync(circuits.Redis, HealthStatus.Degraded, _ => redis.GetDatabase().PingAsync(), cancellationToken);
        var cycleTask = CheckCycleAsync(cancellationToken);
        await Task.WhenAll(postgresTask, redisTask, cycleTask).ConfigureAwait(false);
        var postgres = await postgresTask.ConfigureAwait(false);
        var redisHealth = await redisTask.ConfigureAwait(false);
        var retryCycle = redisHealth.Status == HealthStatus.Healthy
            ? await cycleTask.ConfigureAwait(false)
            : new ComponentHealth(HealthStatus.Degraded, 0, "unknown: Redis is unavailable");

        var components = new Dictionary<string, ComponentHealth>
        {
            ["postgres"] = postgres,
            ["redis"] = redisHealth,
            ["retryCycle"] = retryCycle,
        };
        var status = postgres.Status == HealthStatus.Unhealthy
            ? HealthStatus.Unhealthy
            : components.Values.Any(c => c.Status != HealthStatus.Healthy) ? HealthStatus.Degraded : HealthStatus.Healthy;
        return new HealthReport(status, time.GetUtcNow(), components);
    }

    private async Task CheckPostgresAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("select 1");
        await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }

    // One dependency's check: `failed` when it fails or does not answer within the bound (the
    // call is abandoned, not awaited: a stalled server would hold it past any cancellation), and
    // degraded while its breaker is not closed although the check itself passed.
    private async Task<ComponentHealth> CheckAsync(DependencyCircuit circuit, HealthStatus failed, Func<CancellationToken, Task> check, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_checkTimeout);
        var call = check(timeout.Token);
        try
        {
            await call.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is NpgsqlException or RedisException or OperationCanceledException or TimeoutException or System.Net.Sockets.SocketException)
        {
            ObserveLater(call);
            var reason = exception is OperationCanceledException && !cancellationToken.IsCancellationRequested
                ? string.Create(CultureInfo.InvariantCulture, $"no answer within {_checkTimeout.TotalSeconds} s")
                : Describe(exception);
            return new ComponentHealth(failed, watch.Elapsed.TotalMilliseconds, WithCircuit(circuit, reason));
        }

        return circuit.State == CircuitState.Closed
            ? new ComponentHealth(HealthStatus.Healthy, watch.Elapsed.TotalMilliseconds)
            : new ComponentHealth(HealthStatus.Degraded, watch.Elapsed.TotalMilliseconds, WithCircuit(circuit, "answering again"));
    }

    private async Task<ComponentHealth> CheckCycleAsync(CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var call = cycle.CheckAsync(cancellationToken);
        try
        {
            var (healthy, lastCompleted, staleSince) = await call.WaitAsync(_checkTimeout, cancellationToken).ConfigureAwait(false);
            return new ComponentHealth(
                healthy ? HealthStatus.Healthy : HealthStatus.Degraded,
                watch.Elapsed.TotalMilliseconds,
                healthy ? null : $"no completed retry cycle in {CycleMonitor.StaleIntervals} schedule intervals",
                lastCompleted,
                staleSince);
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            ObserveLater(call);
            return new ComponentHealth(HealthStatus.Degraded, watch.Elapsed.TotalMilliseconds, Describe(exception));
        }
    }

    private static string WithCircuit(DependencyCircuit circuit, string reason) => circuit.State switch
    {
        CircuitState.Open or CircuitState.Isolated => $"{reason}; circuit breaker open: calls are answered 503 until a probe succeeds",
        CircuitState.HalfOpen => $"{reason}; circuit breaker half-open: a probe call is deciding",
        _ => reason,
    };

    // An abandoned check finishes on its own; its failure is observed so it is not reported as an unobserved task exception.
    private static void ObserveLater(Task call) =>
        _ = call.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    // The exception's type and a short, credential-free reason; never the connection string.
    private static string Describe(Exception exception) => exception switch
    {
        PostgresException postgres => $"postgres error {postgres.SqlState}",
        NpgsqlException { InnerException: System.Net.Sockets.SocketException socket } => $"connection failed: {socket.SocketErrorCode}",
        RedisConnectionException redis => $"connection failed: {redis.FailureType}",
        OperationCanceledException or TimeoutException => "timed out",
        _ => exception.GetType().Name,
    };
}
