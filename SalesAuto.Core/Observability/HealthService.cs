using System.Diagnostics;
using System.Text.Json.Serialization;
using Npgsql;
using StackExchange.Redis;

namespace SalesAuto.Core.Observability;

/// <summary>The state of one component or of the whole service.</summary>
public enum HealthStatus
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
public sealed record ComponentHealth(
    HealthStatus Status,
    double DurationMs,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? LastCompletedAt = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? Since = null);

/// <summary>The health report <c>GET /api/health</c> answers with.</summary>
public sealed record HealthReport(HealthStatus Status, DateTimeOffset CheckedAt, IReadOnlyDictionary<string, ComponentHealth> Components);

/// <summary>
/// Real checks: a query on Postgres, a PING on Redis, the retry cycle's last completion.
/// Postgres down is unhealthy (nothing can be stored); Redis down is degraded (events with an
/// enrollment are still stored; orphans are refused with 503 so providers redeliver).
/// </summary>
public sealed class HealthService(NpgsqlDataSource dataSource, IConnectionMultiplexer redis, CycleMonitor cycle, TimeProvider time)
{
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(3);

    /// <summary>Runs every check at once and combines them.</summary>
    public async Task<HealthReport> CheckAsync(CancellationToken cancellationToken)
    {
        var postgresTask = CheckPostgresAsync(cancellationToken);
        var redisTask = CheckRedisAsync();
        await Task.WhenAll(postgresTask, redisTask).ConfigureAwait(false);
        var postgres = await postgresTask.ConfigureAwait(false);
        var redisHealth = await redisTask.ConfigureAwait(false);

        var retryCycle = redisHealth.Status == HealthStatus.Healthy
            ? await CheckCycleAsync().ConfigureAwait(false)
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

    private async Task<ComponentHealth> CheckPostgresAsync(CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CheckTimeout);
        try
        {
            await using var command = dataSource.CreateCommand("select 1");
            await command.ExecuteScalarAsync(timeout.Token).ConfigureAwait(false);
            return new ComponentHealth(HealthStatus.Healthy, watch.Elapsed.TotalMilliseconds);
        }
        catch (Exception exception) when (exception is NpgsqlException or OperationCanceledException or TimeoutException or System.Net.Sockets.SocketException)
        {
            return new ComponentHealth(HealthStatus.Unhealthy, watch.Elapsed.TotalMilliseconds, Describe(exception));
        }
    }

    private async Task<ComponentHealth> CheckCycleAsync()
    {
        var watch = Stopwatch.StartNew();
        try
        {
            var (healthy, lastCompleted, staleSince) = await cycle.CheckAsync().WaitAsync(CheckTimeout).ConfigureAwait(false);
            return new ComponentHealth(
                healthy ? HealthStatus.Healthy : HealthStatus.Degraded,
                watch.Elapsed.TotalMilliseconds,
                healthy ? null : $"no completed retry cycle in {CycleMonitor.StaleIntervals} schedule intervals",
                lastCompleted,
                staleSince);
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            return new ComponentHealth(HealthStatus.Degraded, watch.Elapsed.TotalMilliseconds, Describe(exception));
        }
    }

    private async Task<ComponentHealth> CheckRedisAsync()
    {
        var watch = Stopwatch.StartNew();
        try
        {
            await redis.GetDatabase().PingAsync().WaitAsync(CheckTimeout).ConfigureAwait(false);
            return new ComponentHealth(HealthStatus.Healthy, watch.Elapsed.TotalMilliseconds);
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            return new ComponentHealth(HealthStatus.Degraded, watch.Elapsed.TotalMilliseconds, Describe(exception));
        }
    }

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
