using System.Diagnostics;
using System.Globalization;
using Npgsql;
using StackExchange.Redis;

namespace SalesAuto.Bench.Infrastructure;

/// <summary>What the figures were measured on: nproc, memory, CPU model, and the versions that matter.</summary>
internal sealed class Machine
{
    private readonly List<string> _versions = [];

    /// <summary>The 1-minute load average when the benchmark started: this machine is shared, and a figure taken under load says so.</summary>
    public string LoadAtStart { get; } = ReadLoadAverage();

    public int Cores { get; } = ReadNproc();

    public long MemoryBytes { get; } = ReadMemTotal();

    public string CpuModel { get; } = ReadCpuModel();

    public void AddVersion(string text)
    {
        if (!_versions.Contains(text))
        {
            _versions.Add(text);
        }
    }

    public async Task AddPostgresVersionAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("show server_version", connection);
        AddVersion("PostgreSQL " + (string)(await command.ExecuteScalarAsync())!);
    }

    public async Task AddRedisVersionAsync(IConnectionMultiplexer redis, string where)
    {
        var server = redis.GetServers()[0];
        var info = await server.InfoAsync("server");
        var version = info.SelectMany(g => g).FirstOrDefault(kv => kv.Key == "redis_version").Value ?? "?";
        AddVersion($"Redis {version} ({where})");
    }

    public string Describe()
    {
        var memory = (MemoryBytes / 1024.0 / 1024.0 / 1024.0).ToString("0.0", CultureInfo.InvariantCulture);
        var parts = new List<string> { $"nproc {Cores}", $"{memory} GiB RAM", CpuModel, $".NET {Environment.Version}" };
        parts.AddRange(_versions);
        parts.Add($"load average (1 min) {LoadAtStart} at start, {ReadLoadAverage()} at end");
        return string.Join("; ", parts);
    }

    private static int ReadNproc()
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("nproc") { RedirectStandardOutput = true })!;
            var text = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit();
            return int.Parse(text, CultureInfo.InvariantCulture);
        }
        catch (Exception exception) when (exception is System.ComponentModel.Win32Exception or FormatException)
        {
            return Environment.ProcessorCount;
        }
    }

    private static string ReadLoadAverage() => File.ReadAllText("/proc/loadavg").Split(' ')[0];

    private static long ReadMemTotal()
    {
        var line = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    private static string ReadCpuModel() =>
        File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
}
