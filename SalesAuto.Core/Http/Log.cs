using Microsoft.Extensions.Logging;

namespace SalesAuto.Core.Http;

// HTTP: event ids 9000-9099, every one of the area here so the ids stay stable and unique:
// 9001-9009 the request pipeline's last line of defence (RequestPipeline, on both hosts).
// 9100-9199 belong to the hosts themselves (SalesAuto.Server's scheduled services). Exception
// type names only in the message: a Postgres message can quote row values.
internal static partial class Log
{
    // 9001-9009: what escapes a handler.
    [LoggerMessage(EventId = 9001, Level = LogLevel.Error, Message = "Unhandled {ExceptionType} answered with 500")]
    public static partial void UnhandledException(ILogger logger, string exceptionType, Exception exception);

    // No exception object: a Postgres message can quote row values.
    [LoggerMessage(EventId = 9002, Level = LogLevel.Warning, Message = "A dependency failed ({ExceptionType}); answered 503")]
    public static partial void DependencyFailed(ILogger logger, string exceptionType);
}
