using Microsoft.Extensions.DependencyInjection.Extensions;
using SalesAuto.Core;

namespace SalesAuto.Bench.Infrastructure;

/// <summary>
/// Core's services in the benchmark's own process, registered by Core's one entry point
/// (<c>AddSalesAutoCore</c>), so the queue, the cycle and the processor are exactly the shipped
/// ones. The caller may register a replacement first (Core registers with TryAdd).
/// </summary>
internal static class CoreHost
{
    public static ServiceProvider Build(IDictionary<string, string?> settings, Action<IServiceCollection>? before = null)
    {
        // The suppression list's hash key is required (Privacy:HashKeys); the benchmarks suppress no one.
        settings.TryAdd("Privacy:HashKeys:0", Webhooks.PrivacyHashKey);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging(logging => logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning));
        before?.Invoke(services);
        services.AddSalesAutoCore(configuration);
        return services.BuildServiceProvider();
    }
}
