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

    public static Task<ChildServer> StartAsync(Dictionary<string, string> settings) =>
        ChildServer.StartAsync(BenchEnvironment.ServerDll, [], settings, "/api/health");
}
