using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using SalesAuto.Core.Postgres;

namespace SalesAuto.Bench.Infrastructure;

/// <summary>
/// Where the benchmarks find Postgres and Redis: the variables the Server reads
/// (<c>ConnectionStrings__Postgres</c>, <c>ConnectionStrings__Redis</c>), defaulting to what
/// scripts/deps.sh starts. Every benchmark works in a schema and a key prefix of its own, dropped
/// and made anew at its start, so it never touches the app's or the tests' data.
/// </summary>
internal static class BenchEnvironment
{
    public static string Postgres { get; } =
        Environment.GetEnvironmentVariable("ConnectionStrings__Postgres")
        ?? "Host=127.0.0.1;Port=55432;Database=salesauto;Username=salesauto;Password=salesauto-local";

    public static string SharedRedis { get; } =
        Environment.GetEnvironmentVariable("ConnectionStrings__Redis")
        ?? "127.0.0.1:56379,password=salesauto-local,abortConnect=false";

    /// <summary>The repository root (bench/ is found by walking up from the binary).</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>SalesAuto.Server as built in Release by bench/build.sh.</summary>
    public static string ServerDll => Path.Combine(RepoRoot, "SalesAuto.Server", "bin", "Release", "net10.0", "SalesAuto.Server.dll");

    /// <summary>Drops and re-creates <paramref name="schema"/>; returns a connection string whose search_path is it.</summary>
    public static async Task<string> RecreateSchemaAsync(string schema)
    {
        await using (var connection = new NpgsqlConnection(Postgres))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"drop schema if exists {schema} cascade; create schema {schema};", connection);
            await command.ExecuteNonQueryAsync();
        }

        return WithSchema(schema);
    }

    /// <summary>Re-creates <paramref name="schema"/> and applies Core's migrations to it, before any server starts.</summary>
    public static async Task<string> RecreateMigratedSchemaAsync(string schema)
    {
        var connectionString = await RecreateSchemaAsync(schema);
        var options = Microsoft.Extensions.Options.Options.Create(new PostgresOptions { ConnectionString = connectionString });
        await new PostgresMigrator(options, NullLogger<PostgresMigrator>.Instance).MigrateAsync(CancellationToken.None);
        return connectionString;
    }

    public static string WithSchema(string schema) =>
        new NpgsqlConnectionStringBuilder(Postgres) { SearchPath = schema, MaxPoolSize = 100 }.ConnectionString;

    public static async Task DropSchemaAsync(string schema)
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(Postgres);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"drop schema if exists {schema} cascade", connection);
        await command.ExecuteNonQueryAsync();
    }

    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static string FindRepoRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "SalesAuto.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("SalesAuto.sln not found above " + AppContext.BaseDirectory);
    }
}
