using Microsoft.Extensions.Logging;

namespace SalesAuto.Core.Privacy;

// Privacy: event ids 8000-8099, every one of the area here so the ids stay stable and unique:
// 8001-8009 erase, 8011-8019 export. (8001 was also the circuit breaker's "opened" until the
// breaker moved to 8501-8503, see Resilience/Log.cs.) Counts, actors and SQLSTATEs only: never
// the person (an email, a CRM id or its hash).
internal static partial class Log
{
    // 8001-8009: erase.
    [LoggerMessage(EventId = 8001, Level = LogLevel.Information, Message = "Privacy erase by {Actor}: {Enrollments} enrollments, {Events} events, {DeadLetters} dead letters, {Orphans} parked orphans")]
    public static partial void Erased(ILogger logger, string actor, long enrollments, long events, long deadLetters, long orphans);

    // 8011-8019: export.
    [LoggerMessage(EventId = 8011, Level = LogLevel.Information, Message = "Privacy export by {Actor}: {Enrollments} enrollments, {Events} events, {DeadLetters} dead letters, {Orphans} parked orphans")]
    public static partial void Exported(ILogger logger, string actor, long enrollments, long events, long deadLetters, long orphans);

    [LoggerMessage(EventId = 8012, Level = LogLevel.Error, Message = "Privacy export by {Actor} could not be audited (SQLSTATE {SqlState})")]
    public static partial void AuditFailed(ILogger logger, string actor, string sqlState);
}
