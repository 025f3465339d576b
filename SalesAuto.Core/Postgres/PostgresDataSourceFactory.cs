using System.Globalization;
using Npgsql;

namespace SalesAuto.Core.Postgres;

/// <summary>Builds the one <see cref="NpgsqlDataSource"/> of the process.</summary>
public static class PostgresDataSourceFactory
{
    /// <summary>
    /// A data source whose every physical connection starts with the configured
    /// <c>statement_timeout</c> and <c>idle_in_transaction_session_timeout</c>: they go in the
    /// startup packet (<c>Options</c>), so they cost no round trip and no code path can forget them.
    /// </summary>
    public static NpgsqlDataSource Create(PostgresOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = new NpgsqlDataSourceBuilder(options.ConnectionString);
        var settings = builder.ConnectionStringBuilder;
        var timeouts = string.Create(
            CultureInfo.InvariantCulture,
            $"-c statement_timeout={(long)options.StatementTimeout.TotalMilliseconds} -c idle_in_transaction_session_timeout={(long)options.IdleInTransactionTimeout.TotalMilliseconds}");
        settings.Options = string.IsNullOrWhiteSpace(settings.Options) ? timeouts : $"{settings.Options} {timeouts}";

        // The server's timeout fires first; the client's is a backstop for a dead connection.
        settings.CommandTimeout = Math.Max(settings.CommandTimeout, (int)Math.Ceiling(options.StatementTimeout.TotalSeconds) + 5);
        settings.ApplicationName ??= "salesauto";

        // The event processor's statement costs more to plan than to run and its text never
        // changes: prepared once per connection, it halves Postgres CPU per event (docs/benchmarks.md).
        if (settings.MaxAutoPrepare == 0 && options.MaxAutoPrepare > 0)
        {
            settings.MaxAutoPrepare = options.MaxAutoPrepare;
            settings.AutoPrepareMinUsages = 2;
        }

        return builder.Build();
    }
}
