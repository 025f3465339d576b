
namespace SalesAuto.Server;

/// <summary>What only SalesAuto.Server needs: its middleware (correlation, metrics, problems, CORS preflight) and hosted services.</summary>
internal static class ServerSetup
{
    public static IServiceCollection AddSalesAutoServer(this IServiceCollection services)
    {
        services.AddHostedService<MigrationHostedService>();
        services.AddHostedService<RetryCycleHostedService>();
        services.AddHostedService<RetentionHostedService>();
        services.Configure<HostOptions>(options => options.ShutdownTimeout = TimeSpan.FromSeconds(30));
        return services;
    }

    public static WebApplication UseSalesAutoServer(this WebApplication app)
    {
        app.UseMiddleware<SalesAutoHttpMiddleware>();
        app.UseMiddleware<AdminCorsMiddleware>();
        app.UseRouting();
        app.MapSalesAutoRoutes();
        return app;
    }
}
