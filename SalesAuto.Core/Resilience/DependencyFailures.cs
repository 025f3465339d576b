using Npgsql;
using Polly.Timeout;
using StackExchange.Redis;

namespace SalesAuto.Core.Resilience;

/// <summary>
/// The one place that decides which failures mean "the dependency is unreachable or stalled"
/// (they count towards opening its circuit breaker and are answered 503) and which mean bad data
/// or a bug (they never open a breaker: 22021 invalid byte sequence, 23505 unique violation, a
/// Lua error). Contention (serialization failures, deadlocks) is retried by PostgresRetry and does
/// not count either: the server answered.
/// </summary>
internal static class DependencyFailures
{
    /// <summary>
    /// Whether <paramref name="exception"/> from a Postgres call means Postgres is unreachable,
    /// stalled or overloaded: <see cref="Postgres.PostgresFailures.IsOutage"/> (the one rule the
    /// handlers answer 503 by), less contention, plus the breaker's own attempt timeout.
    /// </summary>
    public static bool IsPostgresOutage(Exception exception) => exception switch
    {
        TimeoutRejectedException => true,
        // A bug in the caller (two commands on one connection), not an outage.
        NpgsqlOperationInProgressException => false,
        // Serialization failures, deadlocks, lock timeouts: the server answered; PostgresRetry retries them.
        PostgresException { SqlState: PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.LockNotAvailable } => false,
        _ => Postgres.PostgresFailures.IsOutage(exception),
    };

    /// <summary>Whether <paramref name="exception"/> from a Redis call means Redis is unreachable, stalled or refusing work.</summary>
    public static bool IsRedisOutage(Exception exception) => exception switch
    {
        TimeoutRejectedException or TimeoutException => true,
        RedisConnectionException or RedisTimeoutException => true,
        RedisServerException server => server.Kind is RedisErrorKind.ConnectionFault or RedisErrorKind.Timeout or RedisErrorKind.Loading
            or RedisErrorKind.ClusterDown or RedisErrorKind.MasterDown or RedisErrorKind.TryAgain or RedisErrorKind.NoReplicas
            or RedisErrorKind.Misconfigured or RedisErrorKind.OutOfMemory or RedisErrorKind.Busy or RedisErrorKind.MaxClients
            or RedisErrorKind.ReadOnly or RedisErrorKind.NoAuth or RedisErrorKind.WrongPass,
        _ => false,
    };
}
