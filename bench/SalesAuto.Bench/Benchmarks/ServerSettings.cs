using SalesAuto.Bench.Infrastructure;

namespace SalesAuto.Bench.Benchmarks;

/// <summary>How the benchmarks start SalesAuto.Server: its own schema and Redis key prefix, the bench sources, warnings only in the log.</summary>
internal static class ServerSettings
{
    public static Dictionary<string, string> For(string postgres, string redis, string keyPrefix)
    {
        var settings = Webhooks.ServerSettings();
        settings["ConnectionStrings__Postgres"] = postgres;
        settings["ConnectionStrings__Redis"] = redis;
        settings["RetryQueue__KeyPrefix"] = keyPrefix;
        settings["Postgres__MigrateOnStart"] = "true";
        settings["Logging__LogLevel__Default"] = "Warning";
        settings["ASPNETCORE_ENVIRONMENT"] = "Production";
        return settings;
    }

    /// <summary>
    /// Starts SalesAuto.Server with a content root of its own that holds only the shipped
    /// appsettings.json: the build output also holds the developer's appsettings.Local.json
    /// (scripts/deps.sh writes it), which the Server reads after the environment variables and the
    /// command line, so it would point the server at the developer's schema instead of the bench's.
    /// </summary>
    public static async Task<ChildServer> StartAsync(Dictionary<string, string> settings, string? serverDll = null)
    {
        serverDll ??= BenchEnvironment.ServerDll;
        var root = Directory.CreateTempSubdirectory("salesauto-bench-server-").FullName;
        File.Copy(Path.Combine(Path.GetDirectoryName(serverDll)!, "appsettings.json"), Path.Combine(root, "appsettings.json"));
        return await ChildServer.StartAsync(serverDll, ["--contentRoot", root], settings, "/api/health", root);
    }
}
