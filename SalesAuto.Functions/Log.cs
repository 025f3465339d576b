using Microsoft.Extensions.Logging;

namespace SalesAuto.Functions;

/// <summary>The Functions app's own log lines (event ids 9201-9299).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 9201, Level = LogLevel.Error, Message = "Function {FunctionName} threw {ExceptionType}; answered with 500")]
    public static partial void UnhandledException(ILogger logger, string functionName, string exceptionType, Exception exception);
}
