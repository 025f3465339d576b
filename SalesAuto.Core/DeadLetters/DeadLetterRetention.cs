using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using SalesAuto.Core.Audit;
using SalesAuto.Core.Postgres;

namespace SalesAuto.Core.DeadLetters;

/// <summary>
/// Deletes resolved dead letters (replayed, ignored) whose resolved_at is older than
/// <c>DeadLetters:RetentionAge</c>, <c>DeadLetters:RetentionBatchSize</c> rows per statement so
/// that no statement holds many locks or runs near the statement timeout. Failed and replaying
/// dead letters are never deleted. Their audit_log rows stay: the audit outlives what it audits.
/// The same run then deletes audit_log rows older than <c>Audit:RetentionAge</c> (all actions,
/// dead-letter and privacy alike), in batches of the same size.
/// </summary>
public sealed partial class DeadLetterRetention(
    NpgsqlDataSource dataSource,
    IOptionsMonitor<DeadLetterOptions> options,
    PostgresAuditLog auditLog,
    IOptionsMonitor<AuditOptions> auditOptions,
    TimeProvider timeProvider,
    ILogger<DeadLetterRetention> logger)
{
    /// <summary>Deletes batch after batch until none is left or <paramref name="cancellationToken"/> fires; returns the rows deleted.</summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        var cutoff = timeProvider.GetUtcNow() - settings.RetentionAge;
        var deleted = 0;
        var batches = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var count = await DeleteBatchAsync(cutoff, settings.RetentionBatchSize, cancellationToken).ConfigureAwait(false);
            deleted += count;
            batches++;
            if (count < settings.RetentionBatchSize)
            {
                break;
            }
        }

        if (deleted > 0)
        {
            Log.RetentionDeleted(logger, deleted, cutoff, batches);
        }
        else
        {
            Log.RetentionNothingToDelete(logger, cutoff);
        }

        await RunAuditRetentionAsync(settings.RetentionBatchSize, cancellationToken).ConfigureAwait(false);
        return deleted;
    }

    /// <summary>Deletes audit rows older than <c>Audit:RetentionAge</c>, batch after batch; returns how many.</summary>
    internal async Task<int> RunAuditRetentionAsync(int batchSize, CancellationToken cancellationToken)
    {
        var cutoff = timeProvider.GetUtcNow() - auditOptions.CurrentValue.RetentionAge;
        var deleted = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var count = await auditLog.DeleteBatchAsync(cutoff, batchSize, cancellationToken).ConfigureAwait(false);
            deleted += count;
            if (count < batchSize)
            {
                break;
            }
        }

        if (deleted > 0)
        {
            AuditLog.Deleted(logger, deleted, cutoff);
        }

        return deleted;
    }

    private static partial class AuditLog
    {
        [LoggerMessage(EventId = 7031, Level = LogLevel.Information, Message = "Audit retention deleted {Count} audit entries older than {Cutoff:O} (Audit:RetentionAge)")]
        public static partial void Deleted(ILogger logger, int count, DateTimeOffset cutoff);
    }

    /// <summary>One statement: deletes up to <paramref name="batchSize"/> resolved dead letters resolved before <paramref name="cutoff"/>.</summary>
    internal async Task<int> DeleteBatchAsync(DateTimeOffset cutoff, int batchSize, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);

        // SKIP LOCKED: a row a replay is holding is left for the next run rather than waited for.
        // FOR UPDATE re-reads a row that changed since the snapshot, and the outer condition repeats
        // the status test, so a row a replay took back to replaying is never deleted.
        const string sql = """
            delete from dead_letters
            where id in (
                select id from dead_letters
                where status in ('replayed', 'ignored') and resolved_at < @cutoff
                order by resolved_at
                limit @batchSize
                for update skip locked)
            and status in ('replayed', 'ignored')
            """;
        // The count triggers lock dead_letter_counts rows: against a concurrent replay or ignore that
        // locks the same rows in another order this can deadlock, and running it again is the cure.
        var parameters = new { cutoff = cutoff.UtcDateTime, batchSize };
        return await PostgresRetry.ExecuteAsync(async ct =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
            return await connection.ExecuteAsync(new CommandDefinition(sql, parameters, cancellationToken: ct)).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }
}
