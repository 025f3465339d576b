using Npgsql;

namespace SalesAuto.Core.Tests.Infrastructure;

/// <summary>
/// Where the tests find Postgres and Redis: the same environment variables the Server reads
/// (<c>ConnectionStrings__Postgres</c>, <c>ConnectionStrings__Redis</c>), defaulting to what
/// scripts/deps.sh starts.
/// </summary>
public static class TestEnvironment
{
    public static string PostgresConnectionString { get; } =
        Environment.GetEnvironmentVariable("ConnectionStrings__Postgres")
        ?? "Host=127.0.0.1;Port=55432;Database=salesauto;Username=salesauto;Password=salesauto-local";

    public static string RedisConnectionString { get; } =
        Environment.GetEnvironmentVariable("ConnectionStrings__Redis")
        ?? "127.0.0.1:56379,password=salesauto-local,abortConnect=false";

    /// <summary>A name unique to this run, safe as a schema name or key prefix.</summary>
    public static string UniqueName(string stem) =>
        $"t_{new string(stem.ToLowerInvariant().Where(char.IsAsciiLetterOrDigit).Take(20).ToArray())}_{Guid.NewGuid():N}";

    /// <summary>An address nothing listens on: a dependency that is down.</summary>
    public static int ClosedPort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public static string WithSearchPath(string schema) =>
        new NpgsqlConnectionStringBuilder(PostgresConnectionString) { SearchPath = schema }.ConnectionString;
}
