using Microsoft.Extensions.Logging;

namespace SalesAuto.Core.RetryQueue;

/// <summary>
/// Every log line of the retry queue area, with stable event ids (dashboards and alerts match on
/// them; never renumber, only add): 3001-3099 the queue on Redis (<see cref="RedisRetryQueue"/>),
/// 6001-6099 the retry cycle (<see cref="RetryCycle"/>). Ids 3000-3999 and 6000-6999 belong to this area.
/// </summary>
internal static partial class Log
{
    // 3001-3099: the queue on Redis.
    [LoggerMessage(EventId = 3001, Level = LogLevel.Debug, Message = "Retry queue: Redis unavailable for the {Script} script ({ErrorType})")]
    public static partial void Unavailable(ILogger logger, string script, string errorType, Exception exception);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Error, Message = "Retry queue: the {Script} script failed (a bug, not an outage)")]
    public static partial void ScriptFailed(ILogger logger, string script, Exception exception);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Error, Message = "Retry queue: item {ItemId} cannot be read; it stays leased and is reclaimed after its lease")]
    public static partial void ItemUnreadable(ILogger logger, string itemId, Exception exception);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Retry queue: {Count} due ids had no item body and were removed (keys edited outside SalesAuto?)")]
    public static partial void ItemsWithoutBody(ILogger logger, int count);

    // 6001-6099: the retry cycle.
    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Retry cycle {Result}: claimed {Claimed}, resolved {Resolved}, rescheduled {Rescheduled}, dead-lettered {DeadLettered}, reclaimed {Reclaimed} in {ElapsedMs} ms")]
    public static partial void CycleFinished(ILogger logger, string result, int claimed, int resolved, int rescheduled, int deadLettered, int reclaimed, double elapsedMs);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Error, Message = "Retry cycle failing: Postgres unavailable ({ExceptionType}, SQLSTATE {SqlState}); items released, no attempts spent; logged once per outage")]
    public static partial void PostgresOutage(ILogger logger, string exceptionType, string sqlState);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Error, Message = "Retry cycle failing: Redis unavailable ({Reason}); logged once per outage")]
    public static partial void RedisOutage(ILogger logger, string reason);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Information, Message = "Retry cycle recovered")]
    public static partial void Recovered(ILogger logger);

    [LoggerMessage(EventId = 6005, Level = LogLevel.Warning, Message = "Retry cycle lost its lock; stopping early")]
    public static partial void LockLost(ILogger logger);

    [LoggerMessage(EventId = 6006, Level = LogLevel.Warning, Message = "{Count} leases had expired before the work was acknowledged; consider a longer RetryQueue:Lease")]
    public static partial void StaleLeases(ILogger logger, int count);

    [LoggerMessage(EventId = 6007, Level = LogLevel.Debug, Message = "Retry cycle not run: RetryQueue:CycleEnabled is false in this instance")]
    public static partial void Disabled(ILogger logger);

    [LoggerMessage(EventId = 6008, Level = LogLevel.Warning, Message = "Could not apply an enrollment's parked orphans now: Postgres unavailable ({ExceptionType}, SQLSTATE {SqlState}); they are due for the next cycle")]
    public static partial void ApplyParkedFailed(ILogger logger, string exceptionType, string sqlState);
}
