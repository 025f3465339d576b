using System.Diagnostics;
using System.Globalization;

namespace SalesAuto.Core.Tests.Infrastructure;

/// <summary>
/// Sends POSIX signals with kill(1): SIGSTOP freezes a process the way a network partition or a
/// frozen failover looks to a client (the socket stays open, nothing answers), SIGCONT thaws it,
/// SIGINT/SIGQUIT are Postgres's fast and immediate shutdowns, SIGKILL a crash.
/// </summary>
public static class ProcessSignals
{
    public static async Task SendAsync(string signal, IReadOnlyCollection<int> pids, CancellationToken cancellationToken)
    {
        if (pids.Count == 0)
        {
            return;
        }

        var start = new ProcessStartInfo("kill") { UseShellExecute = false, RedirectStandardError = true };
        start.ArgumentList.Add("-" + signal);
        foreach (var pid in pids)
        {
            start.ArgumentList.Add(pid.ToString(CultureInfo.InvariantCulture));
        }

        using var kill = Process.Start(start) ?? throw new InvalidOperationException("kill did not start");
        await kill.WaitForExitAsync(cancellationToken);
    }

    /// <summary>The processes whose parent is <paramref name="parent"/> (read from /proc).</summary>
    public static List<int> ChildrenOf(int parent)
    {
        var children = new List<int>();
        foreach (var directory in System.IO.Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after the last ')'.
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (int.Parse(fields[1], CultureInfo.InvariantCulture) == parent)
                {
                    children.Add(pid);
                }
            }
            catch (IOException)
            {
                // The process ended while we looked.
            }
        }

        return children;
    }

    public static bool IsAlive(int pid) => System.IO.Directory.Exists($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}");
}
