using Microsoft.Extensions.Logging;

namespace SalesAuto.Core.Webhooks;

// Webhooks: event ids 4500-4599 (docs/operations.md gives 4000-4999 to webhooks). The ids are
// stable: operators search for them (4502-4504 are named in docs/operations.md's runbook). The
// source name and the reason are logged (configured names and fixed reasons); a body, a
// signature or a secret never.
internal static partial class Log
{
    [LoggerMessage(EventId = 4501, Level = LogLevel.Warning, Message = "Webhook from {Source} rejected: {Reason}")]
    public static partial void Rejected(ILogger logger, string source, string reason);

    [LoggerMessage(EventId = 4502, Level = LogLevel.Error, Message = "Events from {Source} not stored: {ExceptionType} (SQLSTATE {SqlState}); nothing acknowledged (a webhook answers 503)")]
    public static partial void StoreFailed(ILogger logger, string source, string exceptionType, string sqlState);

    [LoggerMessage(EventId = 4503, Level = LogLevel.Error, Message = "Events from {Source}: {Count} orphans could not be parked, Redis unavailable; not acknowledged (a webhook answers 503)")]
    public static partial void QueueUnavailable(ILogger logger, string source, int count);

    [LoggerMessage(EventId = 4504, Level = LogLevel.Error, Message = "Events from {Source}: retry queue full, {Count} orphans refused; not acknowledged (a webhook answers 503)")]
    public static partial void QueueFull(ILogger logger, string source, int count);
}
