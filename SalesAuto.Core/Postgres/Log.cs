using Microsoft.Extensions.Logging;

namespace SalesAuto.Core.Postgres;

internal static partial class Log
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Postgres migrations: {Count} applied in schema {Schema}")]
    public static partial void MigrationsApplied(ILogger logger, int count, string schema);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Debug, Message = "Migration: {Line}")]
    public static partial void MigrationProgress(ILogger logger, string line);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Migration: {Line}")]
    public static partial void MigrationWarning(ILogger logger, string line);
}
