using System.Diagnostics;
using StackExchange.Redis;

namespace SalesAuto.Bench.Infrastructure;

/// <summary>
/// A redis-server of the benchmark's own on a free loopback port, without persistence (no RDB, no
/// AOF), in a temporary directory, stopped at the end: the Redis-only benchmarks run on it so they
/// neither disturb nor are disturbed by the shared development Redis. SalesAuto, BullMQ and
/// redis-benchmark all run against this same instance.
/// </summary>
internal sealed class PrivateRedis : IAsyncDisposable
{
    public const string Password = "bench-local-redis";

    private readonly Process _process;
    private readonly string _directory;
    private int _disposed;

    private PrivateRedis(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    public string ConnectionString => $"127.0.0.1:{Port},password={Password},abortConnect=false,syncTimeout=30000,asyncTimeout=30000";

    public string AdminConnectionString => ConnectionString + ",allowAdmin=true";

    public static string Describe(int port) => $"private redis-server on 127.0.0.1:{port}, no persistence";

    public static async Task<PrivateRedis> StartAsync()
    {
        var port = BenchEnvironment.FreePort();
        var directory = Directory.CreateTempSubdirectory("salesauto-bench-redis-").FullName;
        var start = new ProcessStartInfo("redis-server")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = directory,
        };
        foreach (var argument in new[] { "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--requirepass", Password, "--save", string.Empty, "--appendonly", "no", "--dir", directory, "--protected-mode", "yes" })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start (is it installed? bench/build.sh installs it).");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var redis = new PrivateRedis(process, directory, port);
        for (var attempt = 0; attempt < 100; attempt++)
        {
            try
            {
                await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
                if (connection.IsConnected)
                {
                    await connection.GetDatabase().PingAsync();
                    return redis;
                }
            }
            catch (RedisConnectionException)
            {
            }

            await Task.Delay(100);
        }

        await redis.DisposeAsync();
        throw new InvalidOperationException($"redis-server on port {port} did not answer.");
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
