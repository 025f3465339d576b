using System.ComponentModel.DataAnnotations;

namespace SalesAuto.Core.Audit;

/// <summary>Settings of the <c>Audit</c> section.</summary>
public sealed class AuditOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Audit";

    /// <summary>
    /// <c>Audit:RetentionAge</c>: audit rows older than this are deleted by the retention job
    /// (<c>DeadLetters:RetentionSchedule</c>); 400 days by default, so a year of history is always there.
    /// </summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "3650.00:00:00", ErrorMessage = "Audit:RetentionAge must be between 1 day and 3650 days.")]
    public TimeSpan RetentionAge { get; set; } = TimeSpan.FromDays(400);
}
