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
public static class DependencyFailures
{
    /// <summary>Whether <paramref name="exception"/> from a Postgres call means Postgres is unreachable, stalled or overloaded.</summary>
    public static bool IsPostgresOutage(Exception exception) => exception switch
    {
        TimeoutRejectedException or TimeoutException => true,
        PostgresException postgres => IsOutageState(postgres.SqlState),
        // A bug in the caller (two commands on one connection), not an outage.
        NpgsqlOperationInProgressException => false,
        // Client side: could not connect, the connection broke, the pool had no connection in time.
        NpgsqlException npgsql => npgsql.IsTransient,
        _ => false,
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

    // https://www.postgresql.org/docs/current/errcodes-appendix.html: class 08 connection
    // exceptions; 53 insufficient resources (too many connections, out of memory, disk full);
    // 57P01-57P05 shutdown, crash, cannot connect now, idle session timeouts; 57014 a statement
    // cancelled by statement_timeout (the server is too slow to answer in time); 58 system errors.
    private static bool IsOutageState(string sqlState) =>
        sqlState.StartsWith("08", StringComparison.Ordinal)
        || sqlState.StartsWith("53", StringComparison.Ordinal)
        || sqlState.StartsWith("57P", StringComparison.Ordinal)
        || sqlState.StartsWith("58", StringComparison.Ordinal)
        || sqlState == PostgresErrorCodes.QueryCanceled;
}
