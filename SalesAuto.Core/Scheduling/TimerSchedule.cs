using System.Collections.Concurrent;
using NCrontab;

namespace SalesAuto.Core.Scheduling;

/// <summary>
/// A timer's schedule: a 6-field NCRONTAB expression (seconds first, as the Functions timer
/// trigger reads it), parsed once. Every timer of both hosts (the retry cycle, dead-letter
/// retention) takes its occurrences and its interval from here, so they read a schedule alike.
/// Two schedules are equal when their expressions are.
/// </summary>
public sealed class TimerSchedule : IEquatable<TimerSchedule>
{
    private static readonly CrontabSchedule.ParseOptions SixFields = new() { IncludingSeconds = true };

    // Parsing is pure, and health checks and every cycle ask for a schedule's interval (a day's
    // walk of occurrences): one instance per expression, shared.
    private static readonly ConcurrentDictionary<string, TimerSchedule> Parsed = new(StringComparer.Ordinal);

    private readonly CrontabSchedule _schedule;
    private readonly Lazy<TimeSpan> _interval;

    private TimerSchedule(string expression, CrontabSchedule schedule)
    {
        Expression = expression;
        _schedule = schedule;
        _interval = new Lazy<TimeSpan>(ComputeInterval);
    }

    /// <summary>The NCRONTAB expression as configured.</summary>
    public string Expression { get; }

    /// <summary>
    /// The shortest gap between two occurrences over a day (a day when there is one occurrence a
    /// day or fewer): what "one interval" means for a cycle's budget and the health check's staleness.
    /// </summary>
    public TimeSpan Interval => _interval.Value;

    /// <summary>Parses <paramref name="expression"/>, or returns false when it is not a 6-field NCRONTAB expression.</summary>
    public static bool TryParse(string? expression, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TimerSchedule? schedule)
    {
        schedule = null;
        if (expression is null)
        {
            return false;
        }

        if (Parsed.TryGetValue(expression, out schedule))
        {
            return true;
        }

        // NCrontab with IncludingSeconds also accepts 5 fields; the Functions timer does not.
        if (expression.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length != 6 || CrontabSchedule.TryParse(expression, SixFields) is not { } parsed)
        {
            return false;
        }

        schedule = Parsed.GetOrAdd(expression, new TimerSchedule(expression, parsed));
        return true;
    }

    /// <summary>Parses <paramref name="expression"/>.</summary>
    /// <exception cref="FormatException">Not a 6-field NCRONTAB expression.</exception>
    public static TimerSchedule Parse(string expression) =>
        TryParse(expression, out var schedule)
            ? schedule
            : throw new FormatException($"'{expression}' is not a 6-field NCRONTAB expression (seconds minutes hours day month weekday).");

    /// <summary>The first occurrence strictly after <paramref name="utc"/>.</summary>
    public DateTime NextAfter(DateTime utc) => _schedule.GetNextOccurrence(utc);

    /// <inheritdoc />
    public bool Equals(TimerSchedule? other) => other is not null && string.Equals(Expression, other.Expression, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as TimerSchedule);

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Expression);

    /// <inheritdoc />
    public override string ToString() => Expression;

    private TimeSpan ComputeInterval()
    {
        var start = new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var shortest = TimeSpan.MaxValue;
        var previous = _schedule.GetNextOccurrence(start);
        foreach (var next in _schedule.GetNextOccurrences(previous, start.AddDays(1)).Take(10_000))
        {
            var gap = next - previous;
            if (gap > TimeSpan.Zero && gap < shortest)
            {
                shortest = gap;
            }

            previous = next;
        }

        return shortest == TimeSpan.MaxValue ? TimeSpan.FromDays(1) : shortest;
    }
}
