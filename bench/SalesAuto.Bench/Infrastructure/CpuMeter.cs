using System.Globalization;

namespace SalesAuto.Bench.Infrastructure;

/// <summary>
/// CPU time from /proc (utime + stime of /proc/&lt;pid&gt;/stat): of one process, or of every
/// process named <c>postgres</c> (the cluster's backends; other work on that cluster during
/// the window counts too). Differences of two readings give a simple breakdown of where a
/// request's CPU goes.
/// </summary>
internal static class CpuMeter
{
    private static readonly double TicksPerSecond = 100.0; // USER_HZ on Linux

    public static double ProcessSeconds(int pid) => Read($"/proc/{pid}/stat") ?? 0;

    public static double PostgresSeconds()
    {
        var total = 0.0;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(directory);
            if (!name.All(char.IsAsciiDigit))
            {
                continue;
            }

            try
            {
                if (File.ReadAllText(Path.Combine(directory, "comm")).Trim() == "postgres")
                {
                    total += Read(Path.Combine(directory, "stat")) ?? 0;
                }
            }
            catch (IOException)
            {
                // The process ended while being read.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return total;
    }

    private static double? Read(string path)
    {
        try
        {
            var text = File.ReadAllText(path);
            // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
            var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
