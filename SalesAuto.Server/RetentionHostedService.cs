using Microsoft.Extensions.Options;
using SalesAuto.Core.DeadLetters;

namespace SalesAuto.Server;

/// <summary>
/// Runs dead-letter retention on <c>DeadLetters:RetentionSchedule</c> (6-field NCRONTAB, the
/// Functions timer's dialect). A failed run is logged and the next occurrence tries again;
/// several instances may run it at once harmlessly (the delete skips locked rows).
/// </summary>
internal sealed partial class RetentionHostedService(
    DeadLetterRetention retention,
    IOptionsMonitor<DeadLetterOptions> options,
    TimeProvider timeProvider,
    ILogger<RetentionHostedService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var now = timeProvider.GetUtcNow();
            var next = options.CurrentValue.ParsedSchedule().GetNextOccurrence(now.UtcDateTime);
            var delay = new DateTimeOffset(next, TimeSpan.Zero) - now;
            if (delay > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(delay, timeProvider, stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
            }

            try
            {
                await retention.RunAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                // Postgres down, a timeout: the next occurrence tries again; nothing is lost by waiting.
                RetentionFailed(logger, exception.GetType().Name, exception);
            }
        }
    }

    [LoggerMessage(EventId = 7050, Level = LogLevel.Error, Message = "Dead-letter retention run failed with {ExceptionType}; the next scheduled run retries")]
    private static partial void RetentionFailed(ILogger logger, string exceptionType, Exception exception);
}
