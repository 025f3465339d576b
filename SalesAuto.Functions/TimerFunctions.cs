using Microsoft.Azure.Functions.Worker;
using SalesAuto.Core.DeadLetters;
using SalesAuto.Core.RetryQueue;

namespace SalesAuto.Functions;

/// <summary>
/// The retry cycle and dead-letter retention, each on its schedule. The host runs a timer function
/// on one instance at a time (a blob lease in AzureWebJobsStorage); that lease can be lost, which is
/// why <see cref="RetryCycle"/> also takes its own Redis lock.
/// </summary>
/// <remarks>
/// The schedules are flat app settings (<c>SALESAUTO_RETRY_SCHEDULE</c>, <c>SALESAUTO_RETENTION_SCHEDULE</c>),
/// not <c>%RetryQueue:Schedule%</c>: the platform that wakes a scaled-in app for its timers looks the
/// setting up by name, and an app setting cannot be called <c>RetryQueue:Schedule</c> on Linux. Core
/// refuses to start when they differ from <c>RetryQueue:Schedule</c> / <c>DeadLetters:RetentionSchedule</c>.
/// UseMonitor is off for the 10-second cycle: the monitor writes a storage blob on every run only to
/// catch up a missed occurrence, and a missed cycle is simply the next one 10 s later. It stays on
/// for the hourly retention, whose missed run after a restart is worth catching up.
/// </remarks>
public sealed class TimerFunctions(RetryCycle cycle, DeadLetterRetention retention)
{
    [Function(nameof(RunRetryCycle))]
    public Task RunRetryCycle(
        [TimerTrigger("%" + RetryQueueOptions.ScheduleAppSetting + "%", UseMonitor = false)] TimerInfo timer,
        CancellationToken cancellationToken) =>
        cycle.RunOnScheduleAsync(cancellationToken);

    [Function(nameof(ApplyDeadLetterRetention))]
    public Task ApplyDeadLetterRetention(
        [TimerTrigger("%" + DeadLetterOptions.ScheduleAppSetting + "%", UseMonitor = true)] TimerInfo timer,
        CancellationToken cancellationToken) =>
        retention.RunAsync(cancellationToken);
}
