using Microsoft.Extensions.Options;
using SalesAuto.Core.Observability;
using SalesAuto.Core.Postgres;
using SalesAuto.Core.RetryQueue;

namespace SalesAuto.Server;

/// <summary>Applies the migrations before the server listens (Postgres:MigrateOnStart).</summary>
/// <remarks>It also creates the cycle monitor at start-up, so "no cycle for 3 intervals" counts from the start, not from the first health check.</remarks>
internal sealed class MigrationHostedService(PostgresMigrator migrator, IOptions<PostgresOptions> options, CycleMonitor monitor) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _ = monitor;
        if (options.Value.MigrateOnStart)
        {
            await migrator.MigrateAsync(cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>
/// Runs the retry cycle on <c>RetryQueue:Schedule</c>, the NCRONTAB the Functions timer uses. On
/// shutdown (SIGTERM) the token stops the cycle from claiming more; what it holds is finished or
/// released within the host's shutdown timeout.
/// </summary>
internal sealed partial class RetryCycleHostedService(RetryCycle cycle, IOptions<RetryQueueOptions> options, TimeProvider time, ILogger<RetryCycleHostedService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.CycleEnabled)
        {
            CycleDisabled(logger);
            return;
        }

        var schedule = options.Value.ParsedSchedule();
        while (!stoppingToken.IsCancellationRequested)
        {
            var now = time.GetUtcNow().UtcDateTime;
            var wait = schedule.GetNextOccurrence(now) - now;
            try
            {
                await Task.Delay(wait, time, stoppingToken);
                await cycle.RunAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                // A bug in one cycle must not stop the host or the next cycle.
                CycleCrashed(logger, exception.GetType().Name, exception);
            }
        }
    }

    [LoggerMessage(EventId = 9102, Level = LogLevel.Error, Message = "Retry cycle threw {ExceptionType}; the next cycle runs on schedule")]
    private static partial void CycleCrashed(ILogger logger, string exceptionType, Exception exception);

    [LoggerMessage(EventId = 9101, Level = LogLevel.Warning, Message = "RetryQueue:CycleEnabled is false: this instance does not run the retry cycle")]
    private static partial void CycleDisabled(ILogger logger);
}
