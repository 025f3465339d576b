using System.ComponentModel.DataAnnotations;
using SalesAuto.Core.Scheduling;

namespace SalesAuto.Core.RetryQueue;

/// <summary>Settings of the <c>RetryQueue</c> section (docs/design.md, "Redis retry queue").</summary>
public sealed class RetryQueueOptions : IValidatableObject
{
    /// <summary>The configuration section.</summary>
    public const string Section = "RetryQueue";

    /// <summary>
    /// The flat app setting the Functions timer trigger reads its schedule from
    /// (<c>%SALESAUTO_RETRY_SCHEDULE%</c>): the platform looks timer schedules up by name, and a Linux
    /// app setting cannot be called <c>RetryQueue:Schedule</c> (docs/deploy.md). When set, it is the
    /// schedule; setting it and <c>RetryQueue:Schedule</c> to different values stops start-up.
    /// </summary>
    public const string ScheduleAppSetting = "SALESAUTO_RETRY_SCHEDULE";

    /// <summary>The default schedule: every 10 seconds, 6-field NCRONTAB as the Functions timer reads it.</summary>
    public const string DefaultSchedule = "*/10 * * * * *";

    /// <summary>The delays docs/design.md names, used when <c>RetryQueue:Delays</c> is not set.</summary>
    public static readonly IReadOnlyList<TimeSpan> DefaultDelays =
    [
        TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15), TimeSpan.FromMinutes(1),
        TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(15), TimeSpan.FromHours(1),
    ];

    /// <summary><c>RetryQueue:KeyPrefix</c>: every key starts with it, then the hash tag <c>{retry}</c>.</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "RetryQueue:KeyPrefix is required.")]
    [RegularExpression(@"^[^{}\s]{1,64}$", ErrorMessage = "RetryQueue:KeyPrefix must be 1 to 64 characters without braces or spaces.")]
    public string KeyPrefix { get; set; } = "salesauto:";

    /// <summary><c>RetryQueue:BatchSize</c>: items claimed at once.</summary>
    [Range(1, 1000, ErrorMessage = "RetryQueue:BatchSize must be between 1 and 1000.")]
    public int BatchSize { get; set; } = 50;

    /// <summary><c>RetryQueue:MaxAttempts</c>: tries before an orphan becomes a dead letter.</summary>
    [Range(1, 100, ErrorMessage = "RetryQueue:MaxAttempts must be between 1 and 100.")]
    public int MaxAttempts { get; set; } = 6;

    /// <summary>
    /// <c>RetryQueue:Delays:{i}</c> (or one comma-separated value): the wait before attempt i+1.
    /// The last delay repeats when there are more attempts than delays.
    /// </summary>
    public List<TimeSpan> Delays { get; set; } = [];

    /// <summary><c>RetryQueue:JitterMax</c>: a random extra of up to this much is added to each delay.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00", ErrorMessage = "RetryQueue:JitterMax must be between 0 and 1 hour.")]
    public TimeSpan JitterMax { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary><c>RetryQueue:Lease</c>: how long a claim holds an item before another worker may reclaim it.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00", ErrorMessage = "RetryQueue:Lease must be between 100 ms and 1 hour.")]
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary><c>RetryQueue:MaxLength</c>: the queue refuses new items past this many.</summary>
    [Range(1, 100_000_000, ErrorMessage = "RetryQueue:MaxLength must be between 1 and 100000000.")]
    public int MaxLength { get; set; } = 100_000;

    /// <summary><c>RetryQueue:Schedule</c>: 6-field NCRONTAB (seconds first).</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "RetryQueue:Schedule is required.")]
    public string Schedule { get; set; } = DefaultSchedule;

    /// <summary><c>RetryQueue:CycleEnabled</c>: this instance runs the cycle on the schedule (both hosts; false leaves it to other instances).</summary>
    public bool CycleEnabled { get; set; } = true;

    /// <summary>
    /// <c>RetryQueue:CycleBudget</c>: how long one cycle may keep claiming. Default: 80% of the
    /// schedule's interval, so a cycle always ends before the next one is due.
    /// </summary>
    public TimeSpan? CycleBudget { get; set; }

    /// <summary>The cycle's schedule, parsed (once per expression: <see cref="TimerSchedule"/>).</summary>
    public TimerSchedule CycleSchedule() => TimerSchedule.Parse(Schedule);

    /// <summary>The shortest gap between two occurrences of the cycle's schedule (<see cref="TimerSchedule.Interval"/>).</summary>
    public TimeSpan ScheduleInterval() => CycleSchedule().Interval;

    /// <summary>The effective cycle budget.</summary>
    public TimeSpan EffectiveCycleBudget() => CycleBudget ?? ScheduleInterval() * 0.8;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Delays.Count == 0)
        {
            yield return new ValidationResult("RetryQueue:Delays must name at least one delay.");
        }

        foreach (var delay in Delays)
        {
            if (delay < TimeSpan.Zero || delay > TimeSpan.FromDays(7))
            {
                yield return new ValidationResult($"RetryQueue:Delays entry {delay} must be between 0 and 7 days.");
            }
        }

        if (!TimerSchedule.TryParse(Schedule, out _))
        {
            yield return new ValidationResult($"RetryQueue:Schedule '{Schedule}' is not a 6-field NCRONTAB expression (seconds minutes hours day month weekday), e.g. '{DefaultSchedule}'.");
            yield break;
        }

        if (CycleBudget is { } budget && (budget <= TimeSpan.Zero || budget >= ScheduleInterval()))
        {
            yield return new ValidationResult($"RetryQueue:CycleBudget must be positive and shorter than the schedule's interval ({ScheduleInterval()}).");
        }
    }
}
