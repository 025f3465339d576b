using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace SalesAuto.Core.Tests.Infrastructure;

/// <summary>
/// SalesAuto.Server in a process of its own (<c>dotnet SalesAuto.Server.dll</c>, the build output
/// copied beside the tests), configured by environment variables as an operator would, so a test
/// can kill it with SIGKILL at a moment of its choosing: no finally block, no disposal runs.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private ServerProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
        Admin = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(2) };
        Admin.DefaultRequestHeaders.Add("x-functions-key", RunningServer.AdminKey);
        Client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Uri BaseAddress { get; }

    /// <summary>A client with the admin key.</summary>
    public HttpClient Admin { get; }

    /// <summary>A client without credentials.</summary>
    public HttpClient Client { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>
    /// Starts the server with <paramref name="settings"/> (configuration keys, written as
    /// environment variables <c>A__B</c>) on <paramref name="port"/> (a free one when null) and
    /// waits until <c>GET /api/health</c> answers.
    /// </summary>
    public static async Task<ServerProcess> StartAsync(IDictionary<string, string?> settings, CancellationToken cancellationToken, int? port = null)
    {
        // A free port is free when it is picked, not necessarily when the server binds it: another
        // process may take it in between. The server then exits saying so, and a new port is picked.
        for (var attempt = 1; ; attempt++)
        {
            var listen = port ?? TestEnvironment.ClosedPort();
            var server = Start(settings, listen);
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < TimeSpan.FromSeconds(90) && !server.HasExited)
            {
                try
                {
                    using var response = await server.Client.GetAsync("/api/health", cancellationToken);
                    return server;
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(200, cancellationToken);
                }
            }

            var log = server.Output;
            await server.DisposeAsync();
            if (port is null && attempt < 5 && log.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            throw new InvalidOperationException($"SalesAuto.Server did not start listening:\n{string.Join('\n', log.Split('\n').TakeLast(40))}");
        }
    }

    private static ServerProcess Start(IDictionary<string, string?> settings, int listen)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "SalesAuto.Server.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{listen.ToString(CultureInfo.InvariantCulture)}");
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        start.Environment["DOTNET_ENVIRONMENT"] = "Testing";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        return new ServerProcess(process, new Uri($"http://127.0.0.1:{listen.ToString(CultureInfo.InvariantCulture)}"));
    }

    /// <summary>SIGKILL: the process ends where it is, as in a crash or an OOM kill.</summary>
    public async Task KillAsync(CancellationToken cancellationToken)
    {
        if (!_process.HasExited)
        {
            await ProcessSignals.SendAsync("KILL", [_process.Id], cancellationToken);
            await _process.WaitForExitAsync(cancellationToken);
        }
    }

    public string RecentOutput() => string.Join('\n', _output.TakeLast(40));

    /// <summary>Everything the process wrote to stdout and stderr so far (up to its last 100,000 lines).</summary>
    public string Output => string.Join('\n', _output);

    public async ValueTask DisposeAsync()
    {
        Admin.Dispose();
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > 100_000)
        {
            _output.TryDequeue(out _);
        }
    }
}
