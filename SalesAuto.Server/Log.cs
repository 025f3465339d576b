namespace SalesAuto.Server;

// The hosts: event ids 9100-9199, shared by SalesAuto.Server and SalesAuto.Functions (which logs
// nothing of its own today; its lines would take the next free ids of the range). 9101-9109 the
// server's scheduled services (ScheduledService). What escapes a request is Core's
// (SalesAuto.Core.Http, 9000-9099), the same on both hosts.
internal static partial class Log
{
    // 9101-9109: the scheduled services (retry cycle, dead-letter retention).
    [LoggerMessage(EventId = 9101, Level = LogLevel.Warning, Message = "{Name} is disabled in this instance")]
    public static partial void Disabled(ILogger logger, string name);

    [LoggerMessage(EventId = 9102, Level = LogLevel.Error, Message = "{Name} threw {ExceptionType}; the next scheduled run goes ahead")]
    public static partial void RunFailed(ILogger logger, string name, string exceptionType, Exception exception);
}
