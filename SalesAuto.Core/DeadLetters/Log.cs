using Microsoft.Extensions.Logging;

namespace SalesAuto.Core.DeadLetters;

// Dead letters: event ids 7000-7099, every one of the area here so the ids stay stable and unique:
// 7001-7009 admin use cases, 7010-7019 retention, 7020-7029 replay, 7030-7039 audit-trail
// retention (run by the dead-letter retention job). Audit (SalesAuto.Core.Audit) has 7100-7199
// and logs nothing of its own today. Key names are logged (they are labels, not secrets); payloads never.
internal static partial class Log
{
    [LoggerMessage(EventId = 7001, Level = LogLevel.Information, Message = "Dead letters ignored by {Actor}: {Ignored} of {Requested} requested")]
    public static partial void Ignored(ILogger logger, string actor, int ignored, int requested);

    [LoggerMessage(EventId = 7010, Level = LogLevel.Information, Message = "Dead-letter retention deleted {Deleted} resolved dead letters older than {Cutoff:O} in {Batches} batches")]
    public static partial void RetentionDeleted(ILogger logger, int deleted, DateTimeOffset cutoff, int batches);

    [LoggerMessage(EventId = 7011, Level = LogLevel.Debug, Message = "Dead-letter retention: nothing older than {Cutoff:O} to delete")]
    public static partial void RetentionNothingToDelete(ILogger logger, DateTimeOffset cutoff);

    [LoggerMessage(EventId = 7020, Level = LogLevel.Information, Message = "Replay by {Actor}: {Resolved} replayed, {Requeued} requeued, of {Requested} requested")]
    public static partial void Replayed(ILogger logger, string actor, int resolved, int requeued, int requested);

    [LoggerMessage(EventId = 7021, Level = LogLevel.Error, Message = "Could not give {Count} claimed dead letters their status back (SQLSTATE {SqlState}); they stay replaying until their claim expires, then the retry cycle replays them")]
    public static partial void RevertFailed(ILogger logger, int count, string sqlState);

    [LoggerMessage(EventId = 7022, Level = LogLevel.Warning, Message = "Replaying {Count} dead letters again whose replay claim expired (a replay died after claiming them)")]
    public static partial void RecoveringExpiredClaims(ILogger logger, int count);

    [LoggerMessage(EventId = 7023, Level = LogLevel.Warning, Message = "Could not release the replay claim of {Count} requeued dead letters (SQLSTATE {SqlState}); the cycle replays them again when it expires")]
    public static partial void ReleaseClaimFailed(ILogger logger, int count, string sqlState);

    [LoggerMessage(EventId = 7024, Level = LogLevel.Error, Message = "A replay stopped on a Postgres outage after replaying {Count} dead letters, and their audit rows could not be written (SQLSTATE {SqlState})")]
    public static partial void AuditOfPartialReplayFailed(ILogger logger, int count, string sqlState);

    [LoggerMessage(EventId = 7031, Level = LogLevel.Information, Message = "Audit retention deleted {Count} audit entries older than {Cutoff:O} (Audit:RetentionAge)")]
    public static partial void AuditRetentionDeleted(ILogger logger, int count, DateTimeOffset cutoff);
}
