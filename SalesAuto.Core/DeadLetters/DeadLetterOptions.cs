using System.ComponentModel.DataAnnotations;
using SalesAuto.Core.Scheduling;

namespace SalesAuto.Core.DeadLetters;

/// <summary>Settings of the <c>DeadLetters</c> section: retention of resolved dead letters.</summary>
public sealed class DeadLetterOptions : IValidatableObject
{
    /// <summary>The flat app setting the Functions retention timer reads (see <see cref="RetryQueue.RetryQueueOptions.ScheduleAppSetting"/>).</summary>
    public const string ScheduleAppSetting = "SALESAUTO_RETENTION_SCHEDULE";

    /// <summary>The configuration section.</summary>
    public const string Section = "DeadLetters";

    /// <summary><c>DeadLetters:RetentionAge</c>: replayed and ignored dead letters older than this are deleted.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "3650.00:00:00", ErrorMessage = "DeadLetters:RetentionAge must be between 1 minute and 3650 days.")]
    public TimeSpan RetentionAge { get; set; } = TimeSpan.FromDays(30);

    /// <summary><c>DeadLetters:RetentionBatchSize</c>: rows deleted per statement.</summary>
    [Range(1, 100_000, ErrorMessage = "DeadLetters:RetentionBatchSize must be between 1 and 100000.")]
    public int RetentionBatchSize { get; set; } = 1000;

    /// <summary>
    /// <c>DeadLetters:ReplayClaimTimeout</c>: how long a replay's claim on its dead letters holds.
    /// A replay that has neither stored their events nor put them back in the retry queue by then
    /// died (a killed process, an outage after the claim); the retry cycle replays them again.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00", ErrorMessage = "DeadLetters:ReplayClaimTimeout must be between 1 second and 1 day.")]
    public TimeSpan ReplayClaimTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary><c>DeadLetters:RetentionSchedule</c>: 6-field NCRONTAB; hourly by default.</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "DeadLetters:RetentionSchedule is required.")]
    public string RetentionSchedule { get; set; } = "0 17 * * * *";

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!TimerSchedule.TryParse(RetentionSchedule, out _))
        {
            yield return new ValidationResult($"DeadLetters:RetentionSchedule '{RetentionSchedule}' is not a 6-field NCRONTAB expression.");
        }
    }
}
