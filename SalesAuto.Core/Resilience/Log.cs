using Microsoft.Extensions.Logging;

namespace SalesAuto.Core.Resilience;

// Resilience: event ids 8500-8599, every one of the area here so the ids stay stable and unique:
// 8501-8509 a dependency's circuit breaker (DependencyCircuit). The breaker logged 8001-8003
// until those ids turned out to be shared with privacy's erase (8001); it moved here, and
// docs/operations.md names the new ids. Exception type names only: a Postgres message can quote
// row values.
internal static partial class Log
{
    // 8501-8509: the circuit breaker's transitions.
    [LoggerMessage(EventId = 8501, Level = LogLevel.Warning, Message = "Circuit breaker for {Dependency} opened for {BreakSeconds} s after repeated failures (last: {ExceptionType}); calls answer 503 until a probe succeeds")]
    public static partial void CircuitOpened(ILogger logger, string dependency, double breakSeconds, string exceptionType);

    [LoggerMessage(EventId = 8502, Level = LogLevel.Information, Message = "Circuit breaker for {Dependency} half-open: one probe call is let through")]
    public static partial void CircuitHalfOpened(ILogger logger, string dependency);

    [LoggerMessage(EventId = 8503, Level = LogLevel.Information, Message = "Circuit breaker for {Dependency} closed: calls flow again")]
    public static partial void CircuitClosed(ILogger logger, string dependency);
}
