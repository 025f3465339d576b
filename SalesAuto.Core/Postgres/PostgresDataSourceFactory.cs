using System.Globalization;
using Azure.Core;
using Npgsql;
using SalesAuto.Core.Identity;

namespace SalesAuto.Core.Postgres;

/// <summary>Builds the one <see cref="NpgsqlDataSource"/> of the process.</summary>
internal static class PostgresDataSourceFactory
{
    /// <summary>
    /// A data source whose every physical connection starts with the configured
    /// <c>statement_timeout</c> and <c>idle_in_transaction_session_timeout</c>: they go in the
    /// startup packet (<c>Options</c>), so they cost no round trip and no code path can forget them.
    /// With <see cref="DependencyAuthentication.ManagedIdentity"/> the password of every new
    /// physical connection is an Entra ID token from <paramref name="credential"/>
    /// (<see cref="PostgresTokenScope"/>), refreshed in the background.
    /// </summary>
    public static NpgsqlDataSource Create(PostgresOptions options, TokenCredential? credential = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        // Before Npgsql parses it: its error would not name the setting.
        KeyVaultReferences.ThrowIfUnresolved("ConnectionStrings:Postgres", options.ConnectionString);
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

        if (options.Authentication == DependencyAuthentication.ManagedIdentity)
        {
            if (credential is null)
            {
                throw new ArgumentNullException(nameof(credential), "Postgres:Authentication is ManagedIdentity but no TokenCredential was given.");
            }

            // Tokens live an hour or more and Azure.Identity caches them, renewing ahead of expiry:
            // asking every few minutes keeps a fresh one at hand for new connections at no cost.
            // Existing connections stay open past their token's expiry (Postgres checks it at
            // sign-in only).
            builder.UsePeriodicPasswordProvider(
                async (_, cancellationToken) => (await credential.GetTokenAsync(new TokenRequestContext([PostgresTokenScope]), cancellationToken).ConfigureAwait(false)).Token,
                TokenRefreshInterval,
                TokenRetryInterval);
        }

        return builder.Build();
    }

    /// <summary>The Entra ID scope of Azure Database for PostgreSQL tokens.</summary>
    public const string PostgresTokenScope = "https://ossrdbms-aad.database.windows.net/.default";

    /// <summary>How often a token is fetched while the last fetch succeeded.</summary>
    public static readonly TimeSpan TokenRefreshInterval = TimeSpan.FromMinutes(5);

    /// <summary>How soon a failed fetch is retried.</summary>
    public static readonly TimeSpan TokenRetryInterval = TimeSpan.FromSeconds(10);
}
