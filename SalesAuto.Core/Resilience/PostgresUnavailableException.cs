using Npgsql;

namespace SalesAuto.Core.Resilience;

/// <summary>
/// Postgres was not called, or not waited for: its circuit breaker is open, or the call took
/// longer than <c>Resilience:AttemptTimeout</c>. It is an <see cref="NpgsqlException"/> on
/// purpose: every caller already treats a transient NpgsqlException as "Postgres is unavailable,
/// answer 503 / end the cycle", and this is that case, decided sooner.
/// </summary>
internal sealed class PostgresUnavailableException(string message, TimeSpan retryAfter, Exception? inner = null) : NpgsqlException(message, inner)
{
    /// <summary>When a call may succeed again: the time left before the breaker lets a probe through.</summary>
    public TimeSpan RetryAfter { get; } = retryAfter;

    /// <inheritdoc />
    public override bool IsTransient => true;
}
