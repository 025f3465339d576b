using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using SalesAuto.Core.Postgres;

namespace SalesAuto.Core.Tests.Infrastructure;

/// <summary>A schema of its own for one test class, migrated, dropped afterwards: tests never see each other's rows.</summary>
public sealed class PostgresSchema : IAsyncLifetime
{
    public PostgresSchema() : this("schema") { }

    internal PostgresSchema(string stem)
    {
        Name = TestEnvironment.UniqueName(stem);
        ConnectionString = TestEnvironment.WithSearchPath(Name);
    }

    public string Name { get; }

    public string ConnectionString { get; }

    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public PostgresOptions Options => new() { ConnectionString = ConnectionString };

    public async Task InitializeAsync()
    {
        await using (var admin = new NpgsqlConnection(TestEnvironment.PostgresConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"create schema {Name}", admin);
            await create.ExecuteNonQueryAsync();
        }

        await new PostgresMigrator(Microsoft.Extensions.Options.Options.Create(Options), NullLogger<PostgresMigrator>.Instance).MigrateAsync(CancellationToken.None);
        DataSource = PostgresDataSourceFactory.Create(Options);
    }

    public async Task DisposeAsync()
    {
        await DataSource.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(TestEnvironment.PostgresConnectionString);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"drop schema if exists {Name} cascade", admin);
        await drop.ExecuteNonQueryAsync();
    }
}
