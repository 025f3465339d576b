using System.Reflection;
using DbUp;
using DbUp.Engine.Output;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace SalesAuto.Core.Postgres;

/// <summary>
/// Applies the embedded SQL migrations with DbUp: plain SQL files, a journal table, nothing
/// generated. A Postgres advisory lock makes concurrent start-ups of several instances take
/// turns instead of racing on the same DDL.
/// </summary>
public sealed class PostgresMigrator(IOptions<PostgresOptions> options, ILogger<PostgresMigrator> logger)
{
    // An arbitrary constant shared by every SalesAuto instance: "SA" "MIGR".
    private const long AdvisoryLockKey = 0x5341_4D49_4752;

    /// <summary>Applies every migration not applied yet; returns the names of those it applied.</summary>
    public async Task<IReadOnlyList<string>> MigrateAsync(CancellationToken cancellationToken)
    {
        var connectionString = options.Value.ConnectionString
            ?? throw new InvalidOperationException("ConnectionStrings:Postgres is required.");

        await using var lockConnection = new NpgsqlConnection(connectionString);
        await lockConnection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await TakeLockAsync(lockConnection, options.Value.MigrationLockTimeout, cancellationToken).ConfigureAwait(false);

        try
        {
            var schema = lockConnection.ExecuteScalarSchema();
            var upgrader = DeployChanges.To
                .PostgresqlDatabase(connectionString, schema)
                .WithScriptsEmbeddedInAssembly(Assembly.GetExecutingAssembly(), name => name.Contains(".Postgres.Migrations.", StringComparison.Ordinal))
                .JournalToPostgresqlTable(schema, "schemaversions")
                .WithTransactionPerScript()
                .LogTo(new DbUpLog(logger))
                .Build();

            var result = upgrader.PerformUpgrade();
            if (!result.Successful)
            {
                throw new InvalidOperationException($"Postgres migration {result.ErrorScript?.Name} failed: {result.Error.Message}", result.Error);
            }

            var applied = result.Scripts.Select(script => script.Name).ToList();
            Log.MigrationsApplied(logger, applied.Count, schema);
            return applied;
        }
        finally
        {
            await using var release = new NpgsqlCommand($"select pg_advisory_unlock({AdvisoryLockKey})", lockConnection);
            await release.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    // pg_try_advisory_lock in a loop rather than pg_advisory_lock: the wait is bounded, and a
    // stuck migration elsewhere stops this instance with a sentence instead of hanging it.
    private static async Task TakeLockAsync(NpgsqlConnection connection, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        await using var take = new NpgsqlCommand($"select pg_try_advisory_lock({AdvisoryLockKey})", connection);
        while (!(bool)(await take.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
        {
            if (DateTimeOffset.UtcNow >= deadline)
            {
                throw new MigrationLockTimeoutException(
                    $"Another instance held the migration lock for longer than Postgres:MigrationLockTimeout ({timeout}); this instance stops without migrating. Raise the setting or migrate in a deployment step (docs/deploy.md).");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken).ConfigureAwait(false);
        }
    }

    private sealed class DbUpLog(ILogger logger) : IUpgradeLog
    {
        public void LogTrace(string format, params object[] args) { }

        public void LogDebug(string format, params object[] args) { }

        public void LogInformation(string format, params object[] args) => Log.MigrationProgress(logger, string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args));

        public void LogWarning(string format, params object[] args) => Log.MigrationWarning(logger, string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args));

        public void LogError(string format, params object[] args) => Log.MigrationWarning(logger, string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args));

        public void LogError(Exception ex, string format, params object[] args) => Log.MigrationWarning(logger, string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args));
    }
}

internal static class NpgsqlConnectionSchemaExtensions
{
    /// <summary>The schema new tables go to: the first of the connection's search_path.</summary>
    public static string ExecuteScalarSchema(this NpgsqlConnection connection)
    {
        using var command = new NpgsqlCommand("select current_schema()", connection);
        return command.ExecuteScalar() as string ?? "public";
    }
}

/// <summary>The migration lock was not acquired within <c>Postgres:MigrationLockTimeout</c>.</summary>
internal sealed class MigrationLockTimeoutException(string message) : Exception(message);
