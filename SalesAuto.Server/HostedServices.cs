using Microsoft.Extensions.Options;
using SalesAuto.Core.Observability;
using SalesAuto.Core.Postgres;

namespace SalesAuto.Server;

/// <summary>Applies the migrations before the server listens (Postgres:MigrateOnStart).</summary>
/// <remarks>It also creates the cycle monitor at start-up, so "no cycle for 3 intervals" counts from the start, not from the first health check.</remarks>
internal sealed class MigrationHostedService(PostgresMigrator migrator, IOptions<PostgresOptions> options, CycleMonitor monitor) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _ = monitor;
        if (options.Value.MigrateOnStart)
        {
            await migrator.MigrateAsync(cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
