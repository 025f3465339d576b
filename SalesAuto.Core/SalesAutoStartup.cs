using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SalesAuto.Core.Observability;
using SalesAuto.Core.Postgres;

namespace SalesAuto.Core;

/// <summary>What both hosts do once before they serve, in the same order.</summary>
public static class SalesAutoStartup
{
    /// <summary>
    /// Creates the retry-cycle monitor (so "no completed cycle in three intervals" counts from
    /// the start, not from the first health check) and applies the migrations when
    /// <c>Postgres:MigrateOnStart</c> is true, waiting at most <c>Postgres:MigrationLockTimeout</c>
    /// for another instance's migration.
    /// </summary>
    /// <exception cref="MigrationLockTimeoutException">Another instance held the migration lock too long.</exception>
    public static async Task RunAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        _ = services.GetRequiredService<CycleMonitor>();
        if (services.GetRequiredService<IOptions<PostgresOptions>>().Value.MigrateOnStart)
        {
            await services.GetRequiredService<PostgresMigrator>().MigrateAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
