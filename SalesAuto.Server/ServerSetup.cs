using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using SalesAuto.Core.Http;

namespace SalesAuto.Server;

/// <summary>What only SalesAuto.Server needs: the admin key check, rate limits, CORS, metrics and correlation middleware, hosted services.</summary>
internal static class ServerSetup
{
    public const string AdminRateLimitPolicy = "admin";

    public static IServiceCollection AddSalesAutoServer(this IServiceCollection services)
    {
        services.AddHostedService<MigrationHostedService>();
        services.AddHostedService<RetryCycleHostedService>();
        services.AddHostedService<RetentionHostedService>();
        services.Configure<HostOptions>(options => options.ShutdownTimeout = TimeSpan.FromSeconds(30));
        services.AddRateLimiter(options =>
        {
            options.AddPolicy(AdminRateLimitPolicy, context =>
            {
                var admin = context.RequestServices.GetRequiredService<IOptions<AdminOptions>>().Value;
                return RateLimitPartition.GetFixedWindowLimiter(CallerPartition(context), _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = admin.RateLimit.PermitLimit,
                    Window = admin.RateLimit.Window,
                    QueueLimit = 0,
                });
            });
            options.OnRejected = async (rejected, _) =>
            {
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1);
                await Problems.TooManyRequests(retryAfter).ExecuteAsync(rejected.HttpContext);
            };
        });
        return services;
    }

    public static WebApplication UseSalesAutoServer(this WebApplication app)
    {
        app.UseMiddleware<CorrelationMiddleware>();
        app.UseMiddleware<HttpMetricsMiddleware>();
        app.UseMiddleware<ProblemExceptionMiddleware>();
        app.UseMiddleware<AdminCorsMiddleware>();
        app.UseRouting();
        app.UseRateLimiter();
        app.MapSalesAutoRoutes();
        return app;
    }

    // The rate-limit partition: the key presented (hashed, never stored), else the client address.
    private static string CallerPartition(HttpContext context)
    {
        string? key = context.Request.Headers[AdminKeyValidator.HeaderName];
        if (string.IsNullOrEmpty(key))
        {
            key = context.Request.Query[AdminKeyValidator.QueryName];
        }

        return string.IsNullOrEmpty(key)
            ? "ip:" + context.Connection.RemoteIpAddress
            : "key:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)), 0, 8);
    }
}
