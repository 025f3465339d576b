using Microsoft.Extensions.Options;
using SalesAuto.Core;
using SalesAuto.Core.DeadLetters;
using SalesAuto.Core.RetryQueue;
using SalesAuto.Core.Scheduling;

namespace SalesAuto.Server;

/// <summary>Core's start-up step (cycle monitor, bounded migrations) before the server listens, as the Functions app runs it before it connects to the host.</summary>
internal sealed class MigrationHostedService(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => SalesAutoStartup.RunAsync(services, cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>
/// Runs a piece of Core's work on a 6-field NCRONTAB schedule, the dialect the Functions timer
/// trigger reads, so both hosts fire at the same moments. A failed run is logged and the next
/// occurrence runs as usual: one bad run never stops the host or the schedule.
/// </summary>
internal abstract class ScheduledService(TimeProvider time, ILogger logger) : BackgroundService
{
    protected abstract string Name { get; }

    protected abstract TimerSchedule Schedule();

    protected abstract Task RunOnceAsync(CancellationToken cancellationToken);

    protected virtual bool Enabled() => true;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Enabled())
        {
            Log.Disabled(logger, Name);
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            var now = time.GetUtcNow().UtcDateTime;
            var wait = Schedule().NextAfter(now) - now;
            try
            {
                await Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, time, stoppingToken);
                await RunOnceAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                Log.RunFailed(logger, Name, exception.GetType().Name, exception);
            }
        }
    }
}

/// <summary>
/// The retry cycle on <c>RetryQueue:Schedule</c>. On shutdown (SIGTERM) the token stops the cycle
/// from claiming more; what it holds is finished or released within the host's shutdown timeout.
/// <c>RetryQueue:CycleEnabled</c> false leaves the cycle to other instances.
/// </summary>
internal sealed class RetryCycleHostedService(RetryCycle cycle, IOptions<RetryQueueOptions> options, TimeProvider time, ILogger<RetryCycleHostedService> logger)
    : ScheduledService(time, logger)
{
    protected override string Name => "The retry cycle (RetryQueue:CycleEnabled)";

    protected override bool Enabled() => options.Value.CycleEnabled;

    protected override TimerSchedule Schedule() => options.Value.CycleSchedule();

    protected override Task RunOnceAsync(CancellationToken cancellationToken) => cycle.RunAsync(cancellationToken);
}

/// <summary>
/// Dead-letter retention on <c>DeadLetters:RetentionSchedule</c>. Several instances may run it at
/// once harmlessly (the delete skips locked rows).
/// </summary>
internal sealed class RetentionHostedService(DeadLetterRetention retention, IOptionsMonitor<DeadLetterOptions> options, TimeProvider time, ILogger<RetentionHostedService> logger)
    : ScheduledService(time, logger)
{
    protected override string Name => "Dead-letter retention";

    protected override TimerSchedule Schedule() => TimerSchedule.Parse(options.CurrentValue.RetentionSchedule);

    protected override Task RunOnceAsync(CancellationToken cancellationToken) => retention.RunAsync(cancellationToken);
}
