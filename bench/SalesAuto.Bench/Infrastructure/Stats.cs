using System.Diagnostics;
using System.Globalization;

namespace SalesAuto.Bench.Infrastructure;

/// <summary>Latency percentiles from raw samples (Stopwatch ticks): every sample is kept, nothing is bucketed.</summary>
internal sealed class Latencies
{
    private readonly double[] _sortedMs;

    public Latencies(IEnumerable<long> ticks)
    {
        _sortedMs = [.. ticks.Select(t => t * 1000.0 / Stopwatch.Frequency).Order()];
    }

    public int Count => _sortedMs.Length;

    public double P50 => Percentile(0.50);

    public double P99 => Percentile(0.99);

    public double Max => _sortedMs.Length == 0 ? double.NaN : _sortedMs[^1];

    public double Mean => _sortedMs.Length == 0 ? double.NaN : _sortedMs.Average();

    // Nearest rank: the smallest sample with at least p of the samples at or below it.
    public double Percentile(double p) =>
        _sortedMs.Length == 0 ? double.NaN : _sortedMs[Math.Clamp((int)Math.Ceiling(p * _sortedMs.Length) - 1, 0, _sortedMs.Length - 1)];
}

/// <summary>Number formatting for the tables, invariant culture.</summary>
internal static class Fmt
{
    public static string N0(double value) => double.IsNaN(value) ? "-" : value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Ms(double value) => double.IsNaN(value) ? "-" : value.ToString(value < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture);

    public static string Ratio(double value) => double.IsNaN(value) ? "-" : value.ToString("0.00", CultureInfo.InvariantCulture) + "x";

    public static string Percent(double value) => double.IsNaN(value) ? "-" : value.ToString("0.0", CultureInfo.InvariantCulture) + "%";

    public static string Mib(long bytes) => (bytes / 1024.0 / 1024.0).ToString("0.0", CultureInfo.InvariantCulture);

    public static string Met(bool met) => met ? "yes" : "**no**";

    public static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Times a block of work.</summary>
internal static class Timing
{
    public static async Task<TimeSpan> TimeAsync(Func<Task> work)
    {
        var started = Stopwatch.GetTimestamp();
        await work();
        return Stopwatch.GetElapsedTime(started);
    }
}
