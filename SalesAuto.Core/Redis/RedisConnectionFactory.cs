using Microsoft.Extensions.Logging;
using SalesAuto.Core.Identity;
using StackExchange.Redis;

namespace SalesAuto.Core.Redis;

/// <summary>Creates the one <see cref="IConnectionMultiplexer"/> of the process.</summary>
internal static class RedisConnectionFactory
{
    /// <summary>
    /// Parses the connection string as Azure gives it and connects without failing when Redis is
    /// down: the multiplexer keeps reconnecting in the background, and the health endpoint and
    /// the callers see the outage as errors, not as a process that will not start.
    /// With <paramref name="authenticator"/> (<c>Redis:Authentication</c> = <c>ManagedIdentity</c>)
    /// the connections sign in with the identity's tokens and stay signed in.
    /// </summary>
    public static IConnectionMultiplexer Connect(RedisOptions options, ILogger logger, RedisTokenAuthenticator? authenticator = null)
    {
        var configuration = BuildConfiguration(options);
        authenticator?.Authenticate(configuration);
        // The multiplexer keeps this configuration object (it is not copied), so a token the
        // authenticator puts in it later is the one every reconnect signs in with.
        var multiplexer = ConnectionMultiplexer.Connect(configuration);
        authenticator?.Start(multiplexer);
        multiplexer.ConnectionFailed += (_, e) => Log.ConnectionFailed(logger, e.EndPoint?.ToString() ?? "?", e.FailureType.ToString());
        multiplexer.ConnectionRestored += (_, e) => Log.ConnectionRestored(logger, e.EndPoint?.ToString() ?? "?");
        return multiplexer;
    }

    /// <summary>The client configuration: the connection string as written (TLS, password, user), never aborting on a failed connect.</summary>
    public static ConfigurationOptions BuildConfiguration(RedisOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        // Before the client parses it: its error would not name the setting.
        KeyVaultReferences.ThrowIfUnresolved("ConnectionStrings:Redis", options.ConnectionString);
        var configuration = ConfigurationOptions.Parse(options.ConnectionString!);
        configuration.AbortOnConnectFail = false;
        configuration.ConnectTimeout = Math.Min(configuration.ConnectTimeout, 5000);
        configuration.SyncTimeout = Math.Min(configuration.SyncTimeout, 5000);
        configuration.AsyncTimeout = Math.Min(configuration.AsyncTimeout, 5000);
        configuration.ClientName ??= "salesauto";
        return configuration;
    }
}
