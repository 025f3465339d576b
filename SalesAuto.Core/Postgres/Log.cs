using Microsoft.Extensions.Logging;

namespace SalesAuto.Core.Postgres;

// Postgres: event ids 1000-1999, every one of the area here so the ids stay stable and unique:
// 1001-1009 migrations (docs/operations.md's start-up runbook names 1001-1003).
internal static partial class Log
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Postgres migrations: {Count} applied in schema {Schema}")]
    public static partial void MigrationsApplied(ILogger logger, int count, string schema);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Debug, Message = "Migration: {Line}")]
    public static partial void MigrationProgress(ILogger logger, string line);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Migration: {Line}")]
    public static partial void MigrationWarning(ILogger logger, string line);
}
