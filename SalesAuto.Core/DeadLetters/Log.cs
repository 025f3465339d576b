using Microsoft.Extensions.Logging;

namespace SalesAuto.Core.DeadLetters;

// Dead letters: event ids 7000-7099. Key names are logged (they are labels, not secrets); payloads never.
internal static partial class Log
{
    [LoggerMessage(EventId = 7001, Level = LogLevel.Information, Message = "Dead letters ignored by {Actor}: {Ignored} of {Requested} requested")]
    public static partial void Ignored(ILogger logger, string actor, int ignored, int requested);

    [LoggerMessage(EventId = 7010, Level = LogLevel.Information, Message = "Dead-letter retention deleted {Deleted} resolved dead letters older than {Cutoff:O} in {Batches} batches")]
    public static partial void RetentionDeleted(ILogger logger, int deleted, DateTimeOffset cutoff, int batches);

    [LoggerMessage(EventId = 7011, Level = LogLevel.Debug, Message = "Dead-letter retention: nothing older than {Cutoff:O} to delete")]
    public static partial void RetentionNothingToDelete(ILogger logger, DateTimeOffset cutoff);
}
