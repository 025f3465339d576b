using System.Globalization;

namespace SalesAuto.Core.Webhooks.Sources;

/// <summary>Durations in words for error details.</summary>
internal static class Durations
{
    private static readonly (long Size, string Unit)[] Units = [(86_400, "day"), (3_600, "hour"), (60, "minute"), (1, "second")];

    /// <summary>"7 minutes 12 seconds", "3 days 2 hours", "1 second": the two largest non-zero units.</summary>
    public static string Describe(long seconds)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(seconds);
        var parts = new List<string>(2);
        var rest = seconds;
        foreach (var (size, unit) in Units)
        {
            var count = rest / size;
            rest %= size;
            if (count > 0)
            {
                parts.Add(count == 1 ? $"1 {unit}" : $"{count.ToString(CultureInfo.InvariantCulture)} {unit}s");
            }
            else if (parts.Count > 0)
            {
                break; // "3 days 12 seconds" would read as more precise than it is useful
            }

            if (parts.Count == 2)
            {
                break;
            }
        }

        return parts.Count == 0 ? "0 seconds" : string.Join(' ', parts);
    }
}
