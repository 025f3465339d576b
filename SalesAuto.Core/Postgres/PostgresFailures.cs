using Npgsql;

namespace SalesAuto.Core.Postgres;

/// <summary>
/// The one answer to "is this Postgres failure an outage?", in the style of the retry queue's
/// Redis rule: an outage (the connection failed or timed out, the server is shutting down, out of
/// resources) is answered 503 with Retry-After and counted in <c>salesauto_postgres_errors_total</c>;
/// anything else (a data error such as 22021, a constraint, a syntax error) is a bug or bad input
/// that validation should have refused: it is never reported as "a dependency is unavailable".
/// SQLSTATE classes: https://www.postgresql.org/docs/15/errcodes-appendix.html
/// </summary>
internal static class PostgresFailures
{
    /// <summary>Whether <paramref name="exception"/> means Postgres could not do the work now, so a retry later may succeed.</summary>
    public static bool IsOutage(Exception exception) => exception switch
    {
        PostgresException postgres => postgres.IsTransient || postgres.SqlState.Length == 5 && postgres.SqlState[..2] switch
        {
            "08" => true, // connection exception
            "53" => true, // insufficient resources (too many connections, disk full, out of memory)
            "57" => true, // operator intervention: statement timeout (57014), shutdown (57P01..57P03)
            "58" => true, // system error (I/O)
            _ => false,
        },
        NpgsqlException npgsql => npgsql.IsTransient || npgsql.InnerException is System.Net.Sockets.SocketException or System.IO.IOException or TimeoutException,
        TimeoutException => true,
        _ => false,
    };
}
