using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace SalesAuto.Core.Tests.Infrastructure;

/// <summary>
/// Where a test server's log goes instead of the console: kept in memory (the last
/// <see cref="MaxLines"/> lines) and written to one file per server when it stops, in
/// <see cref="Directory"/> (scripts/test.sh names it when a test failed). A test that wants the
/// lines in its failure message reads <see cref="Lines"/>. The console of `scripts/test.sh` then
/// shows only the test results, not the hundreds of lines the servers write, many of them at Error
/// level by design (start-up validation, outage tests).
/// </summary>
public sealed class ServerLog : ILoggerProvider
{
    /// <summary>The most lines kept per server; older ones are dropped and counted.</summary>
    public const int MaxLines = 5000;

    private readonly ConcurrentQueue<string> _lines = new();
    private int _dropped;

    public ServerLog(string owner)
    {
        Owner = owner;
    }

    /// <summary>Where the files go: <c>SALESAUTO_TEST_SERVER_LOGS</c>, else <c>server-logs</c> next to the test assembly.</summary>
    public static string Directory { get; } =
        Environment.GetEnvironmentVariable("SALESAUTO_TEST_SERVER_LOGS") is { Length: > 0 } configured
            ? configured
            : Path.Combine(AppContext.BaseDirectory, "server-logs");

    /// <summary>Who started the server (the test or fixture), the file's name.</summary>
    public string Owner { get; }

    /// <summary>The lines kept so far, oldest first.</summary>
    public IReadOnlyCollection<string> Lines => _lines;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <summary>Writes the lines to <c>{Directory}/{Owner}.log</c> (nothing when there are none); never throws.</summary>
    public string? WriteFile()
    {
        if (_lines.IsEmpty)
        {
            return null;
        }

        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            var path = Path.Combine(Directory, $"{Owner}.log");
            var header = _dropped > 0 ? [$"({_dropped} earlier lines dropped)"] : Array.Empty<string>();
            File.WriteAllLines(path, header.Concat(_lines));
            return path;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    public void Dispose() => WriteFile();

    private void Add(string line)
    {
        _lines.Enqueue(line);
        while (_lines.Count > MaxLines && _lines.TryDequeue(out _))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    private sealed class Logger(ServerLog owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var time = DateTimeOffset.UtcNow.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture);
            var line = $"{time} {logLevel} {category}[{eventId.Id}] {formatter(state, exception)}";
            owner.Add(exception is null ? line : line + Environment.NewLine + exception);
        }
    }
}
