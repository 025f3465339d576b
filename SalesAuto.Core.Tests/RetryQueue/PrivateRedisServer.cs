using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using SalesAuto.Core.Tests.Infrastructure;

namespace SalesAuto.Core.Tests.RetryQueue;

/// <summary>
/// A redis-server process of the test's own, on a free port with a data directory of its own and
/// the durability production needs (AOF, fsync on every write), so a test can kill and restart it
/// without disturbing the shared Redis other tests use.
/// </summary>
public sealed class PrivateRedisServer : IAsyncDisposable
{
    private Process? _process;

    private PrivateRedisServer()
    {
        System.IO.Directory.CreateDirectory(DataDirectory);
    }

    public int Port { get; } = TestEnvironment.ClosedPort();

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), TestEnvironment.UniqueName("redis"));

    /// <summary>Short timeouts (syncTimeout also bounds the backlog wait while disconnected), so an outage shows quickly; admin commands allowed (SCRIPT FLUSH).</summary>
    public string ConnectionString => $"127.0.0.1:{Port},abortConnect=false,connectTimeout=1000,syncTimeout=2000,asyncTimeout=2000,allowAdmin=true";

    public static async Task<PrivateRedisServer> StartAsync(CancellationToken cancellationToken)
    {
        var server = new PrivateRedisServer();
        await server.StartAgainAsync(cancellationToken);
        return server;
    }

    /// <summary>Starts redis-server on the same port and directory: it loads what the AOF holds.</summary>
    public async Task StartAgainAsync(CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("redis-server") { UseShellExecute = false, WorkingDirectory = DataDirectory };
        foreach (var argument in new[]
        {
            "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
            "--dir", DataDirectory, "--appendonly", "yes", "--appendfsync", "always", "--save", "",
            "--logfile", Path.Combine(DataDirectory, "redis.log"), "--daemonize", "no",
        })
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start");
        await WaitUntilReadyAsync(cancellationToken);
    }

    /// <summary>Freezes redis-server (SIGSTOP): connections stay open and nothing answers, as in a partition or a frozen failover.</summary>
    public Task StallAsync(CancellationToken cancellationToken) =>
        ProcessSignals.SendAsync("STOP", _process is { HasExited: false } ? [_process.Id] : [], cancellationToken);

    /// <summary>Thaws what <see cref="StallAsync"/> froze.</summary>
    public Task ResumeAsync(CancellationToken cancellationToken) =>
        ProcessSignals.SendAsync("CONT", _process is { HasExited: false } ? [_process.Id] : [], cancellationToken);

    /// <summary>Kills the process (SIGKILL: no chance to save anything more) and waits for it to exit.</summary>
    public async Task KillAsync(CancellationToken cancellationToken)
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            await _process.WaitForExitAsync(cancellationToken);
        }

        _process?.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync(CancellationToken.None);
        try
        {
            System.IO.Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless.
        }
    }

    // Ready means PING answers PONG (not LOADING): the AOF has been read.
    private async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_process!.HasExited)
            {
                throw new InvalidOperationException($"redis-server exited with {_process.ExitCode}; see {DataDirectory}/redis.log");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", Port, cancellationToken);
                var stream = client.GetStream();
                await stream.WriteAsync("PING\r\n"u8.ToArray(), cancellationToken);
                var buffer = new byte[64];
                var read = await stream.ReadAsync(buffer, cancellationToken);
                if (Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal))
                {
                    return;
                }
            }
            catch (SocketException)
            {
                // Not listening yet.
            }

            await Task.Delay(50, cancellationToken);
        }
    }
}
