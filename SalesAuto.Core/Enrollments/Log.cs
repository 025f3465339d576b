using Microsoft.Extensions.Logging;

namespace SalesAuto.Core.Enrollments;

// Enrollments: event ids 5000-5099 (docs/operations.md gives 5000-5999 to events and enrollments).
// Stable ids; a person's email or CRM id never reaches a log line, nor a Postgres message (it can
// quote row values).
internal static partial class Log
{
    [LoggerMessage(EventId = 5001, Level = LogLevel.Error, Message = "Enrollment store failed: {ExceptionType} (SQLSTATE {SqlState})")]
    public static partial void EnrollmentStoreFailed(ILogger logger, string exceptionType, string sqlState);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "Could not release parked orphans now; they are retried on schedule")]
    public static partial void PromoteFailed(ILogger logger, Exception exception);
}
