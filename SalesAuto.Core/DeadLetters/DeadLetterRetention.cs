using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SalesAuto.Core.Audit;

namespace SalesAuto.Core.DeadLetters;

/// <summary>
/// Deletes resolved dead letters (replayed, ignored) whose resolved_at is older than
/// <c>DeadLetters:RetentionAge</c>, <c>DeadLetters:RetentionBatchSize</c> rows per statement so
/// that no statement holds many locks or runs near the statement timeout. Failed and replaying
/// dead letters are never deleted. Their audit_log rows stay: the audit outlives what it audits.
/// The same run then deletes audit_log rows older than <c>Audit:RetentionAge</c> (all actions,
/// dead-letter and privacy alike), in batches of the same size.
/// </summary>
public sealed class DeadLetterRetention(
    IDeadLetterStore store,
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
            var count = await store.DeleteResolvedBatchAsync(cutoff, settings.RetentionBatchSize, cancellationToken).ConfigureAwait(false);
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
            Log.AuditRetentionDeleted(logger, deleted, cutoff);
        }

        return deleted;
    }
}
