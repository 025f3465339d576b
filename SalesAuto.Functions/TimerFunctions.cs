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
/// not <c>%RetryQueue:Schedule%</c>: the host would resolve the nested name through its configuration,
/// but the platform that wakes a scaled-in app for its timers looks the setting up by name, and an
/// app setting cannot be called <c>RetryQueue:Schedule</c> on Linux. They hold the same value as
/// <c>RetryQueue:Schedule</c> and <c>DeadLetters:RetentionSchedule</c>, which Core reads (docs/deploy.md).
/// </remarks>
public sealed class TimerFunctions(RetryCycle cycle, DeadLetterRetention retention)
{
    [Function(nameof(RunRetryCycle))]
    public async Task RunRetryCycle(
        [TimerTrigger("%" + RetryQueueOptions.ScheduleAppSetting + "%", UseMonitor = true)] TimerInfo timer,
        CancellationToken cancellationToken) =>
        await cycle.RunAsync(cancellationToken);

    [Function(nameof(ApplyDeadLetterRetention))]
    public async Task ApplyDeadLetterRetention(
        [TimerTrigger("%" + DeadLetterOptions.ScheduleAppSetting + "%", UseMonitor = true)] TimerInfo timer,
        CancellationToken cancellationToken) =>
        await retention.RunAsync(cancellationToken);
}
