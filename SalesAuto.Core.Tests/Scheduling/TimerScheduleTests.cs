using SalesAuto.Core.Scheduling;

namespace SalesAuto.Core.Tests.Scheduling;

public class TimerScheduleTests
{
    [Theory]
    [InlineData("*/10 * * * * *", 10)]
    [InlineData("0 */5 * * * *", 300)]
    [InlineData("0 0 3 * * *", 86_400)]
    [InlineData("0,5 * * * * *", 5)]
    public void Interval_IsTheShortestGapBetweenOccurrences(string expression, int seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), TimerSchedule.Parse(expression).Interval);
    }

    [Theory]
    [InlineData("*/10 * * * *")]
    [InlineData("* * * * * * *")]
    [InlineData("every ten seconds")]
    [InlineData("")]
    public void Parse_Refuses_WhenNotASixFieldExpression(string expression)
    {
        Assert.False(TimerSchedule.TryParse(expression, out _));
        var error = Assert.Throws<FormatException>(() => TimerSchedule.Parse(expression));
        Assert.Contains("6-field NCRONTAB", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NextAfter_IsTheFirstOccurrenceStrictlyAfter()
    {
        var schedule = TimerSchedule.Parse("*/10 * * * * *");
        var at = new DateTime(2026, 12, 3, 12, 0, 10, DateTimeKind.Utc);

        Assert.Equal(at.AddSeconds(10), schedule.NextAfter(at));
        Assert.Equal(at, schedule.NextAfter(at.AddMilliseconds(-1)));
    }

    [Fact]
    public void Schedules_AreEqual_WhenTheirExpressionsAre()
    {
        Assert.Equal(TimerSchedule.Parse("*/10 * * * * *"), TimerSchedule.Parse("*/10 * * * * *"));
        Assert.NotEqual(TimerSchedule.Parse("*/10 * * * * *"), TimerSchedule.Parse("*/20 * * * * *"));
    }
}
