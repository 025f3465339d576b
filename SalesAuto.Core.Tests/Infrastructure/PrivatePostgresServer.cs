using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace SalesAuto.Core.Tests.Infrastructure;

/// <summary>
/// A Postgres cluster of the test's own (initdb into a temp directory, a free port), so a test
/// can stall it (SIGSTOP every process of it), restart it fast or immediately, without touching
/// the shared Postgres other tests use. Tests run as root and Postgres refuses to, so the cluster
/// belongs to the <c>postgres</c> user and runs under runuser. Disposal thaws and stops it and
/// deletes its directory, also after a failed test.
/// </summary>
public sealed class PrivatePostgresServer : IAsyncDisposable
{
    private const string BinDirectory = "/usr/lib/postgresql/15/bin";

    private PrivatePostgresServer()
    {
    }

    public int Port { get; } = TestEnvironment.ClosedPort();

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), TestEnvironment.UniqueName("pg"));

    /// <summary>Short connect and command timeouts, so a test sees an outage quickly; no pooling surprises across restarts.</summary>
    public string ConnectionString =>
        $"Host=127.0.0.1;Port={Port.ToString(CultureInfo.InvariantCulture)};Username=postgres;Database=postgres;Timeout=5;Command Timeout=15;Cancellation Timeout=1000";

    public static async Task<PrivatePostgresServer> StartAsync(CancellationToken cancellationToken)
    {
        var server = new PrivatePostgresServer();
        try
        {
            System.IO.Directory.CreateDirectory(server.DataDirectory);
            await RunAsync("chown", ["postgres:postgres", server.DataDirectory], cancellationToken);
            await RunAsync("runuser", ["-u", "postgres", "--", $"{BinDirectory}/initdb", "-D", server.DataDirectory, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"], cancellationToken);
            await server.StartAgainAsync(cancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the postmaster on the same port and directory (after a restart: crash recovery from the WAL).</summary>
    /// <remarks>
    /// pg_ctl detaches the postmaster, so it is no child of runuser: runuser (like su) stops itself
    /// when its child is stopped and would then neither resume with it nor reap it.
    /// </remarks>
    public async Task StartAgainAsync(CancellationToken cancellationToken)
    {
        var options = string.Join(' ',
            $"-p {Port.ToString(CultureInfo.InvariantCulture)}", "-c listen_addresses=127.0.0.1",
            $"-c unix_socket_directories={DataDirectory}", "-c max_connections=200");
        await RunAsync("runuser", ["-u", "postgres", "--", $"{BinDirectory}/pg_ctl", "start", "-D", DataDirectory, "-l", Path.Combine(DataDirectory, "postgres.log"), "-o", options, "-w", "-t", "60"], cancellationToken);
        await WaitUntilReadyAsync(cancellationToken);
    }

    /// <summary>Freezes the postmaster and every backend: connections stay open and nothing answers.</summary>
    public async Task StallAsync(CancellationToken cancellationToken) =>
        await ProcessSignals.SendAsync("STOP", Processes(), cancellationToken);

    /// <summary>Thaws what <see cref="StallAsync"/> froze (and any backend forked since: none can be).</summary>
    public async Task ResumeAsync(CancellationToken cancellationToken) =>
        await ProcessSignals.SendAsync("CONT", Processes(), cancellationToken);

    /// <summary>Stops the cluster: "fast" (SIGINT: roll back and disconnect) or "immediate" (SIGQUIT: no checkpoint, crash recovery at the next start).</summary>
    public async Task StopAsync(string mode, CancellationToken cancellationToken)
    {
        if (PostmasterPid() is { } pid)
        {
            await ProcessSignals.SendAsync(mode == "immediate" ? "QUIT" : "INT", [pid], cancellationToken);
            while (ProcessSignals.IsAlive(pid) && !IsZombie(pid))
            {
                await Task.Delay(50, cancellationToken);
            }
        }
    }

    /// <summary>Restarts the cluster in the given mode ("fast" or "immediate").</summary>
    public async Task RestartAsync(string mode, CancellationToken cancellationToken)
    {
        await StopAsync(mode, cancellationToken);
        await StartAgainAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await ResumeAsync(timeout.Token);
            await StopAsync("immediate", timeout.Token);
        }
        catch (Exception exception) when (exception is OperationCanceledException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            if (PostmasterPid() is { } pid)
            {
                await ProcessSignals.SendAsync("KILL", [pid, .. ProcessSignals.ChildrenOf(pid)], CancellationToken.None);
            }
        }

        try
        {
            System.IO.Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless.
        }
    }

    private List<int> Processes() => PostmasterPid() is { } pid ? [pid, .. ProcessSignals.ChildrenOf(pid)] : [];

    // The first line of postmaster.pid; null while the cluster is not running.
    private int? PostmasterPid()
    {
        try
        {
            var first = File.ReadLines(Path.Combine(DataDirectory, "postmaster.pid")).FirstOrDefault();
            return int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && ProcessSignals.IsAlive(pid) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static bool IsZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return true;
        }
    }

    private async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                await using var connection = new NpgsqlConnection(ConnectionString + ";Pooling=false");
                await connection.OpenAsync(cancellationToken);
                await using var command = new NpgsqlCommand("select 1", connection);
                await command.ExecuteScalarAsync(cancellationToken);
                return;
            }
            catch (NpgsqlException) when (deadline.Elapsed < TimeSpan.FromSeconds(60))
            {
                // Starting up or recovering.
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    private static async Task RunAsync(string file, string[] arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await error}{await output}");
        }
    }
}
