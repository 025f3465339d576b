using Npgsql;

namespace SalesAuto.Core.Postgres;

/// <summary>
/// Retries a unit of work on serialization failures (40001) and deadlocks (40P01), and on nothing
/// else: those two mean "run the same transaction again and it will likely succeed"; every other
/// error is either permanent or the caller's to handle (STYLE.md 9).
/// </summary>
internal static class PostgresRetry
{
    /// <summary>Total tries, first included.</summary>
    public const int MaxTries = 4;

    /// <summary>Whether <paramref name="exception"/> is worth running the transaction again for.</summary>
    public static bool IsRetryable(Exception exception) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected };

    /// <summary>Runs <paramref name="work"/>, again on a retryable failure, up to <see cref="MaxTries"/> times.</summary>
    public static async Task<T> ExecuteAsync<T>(Func<CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await work(cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException exception) when (IsRetryable(exception) && attempt < MaxTries)
            {
                // Jittered so that two transactions that deadlocked do not collide again in step.
                var delay = TimeSpan.FromMilliseconds((10 << attempt) + Random.Shared.Next(0, 20));
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
