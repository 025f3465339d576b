using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using SalesAuto.Core.Observability;

namespace SalesAuto.Core.Http;

/// <summary>
/// The one authorization step of the key routes, run by Core on both hosts before a handler:
/// the browser origin (Admin:AllowedOrigins, else 403), the per-caller rate limit (429 with
/// Retry-After) and the admin key (Admin:Keys:{name}, else 401 with WWW-Authenticate). The
/// Functions host's own function keys are not used: that host answers a bad key with an empty 401
/// and never tells the worker which key was used, so the admin functions are anonymous there and
/// this class fails closed (no key configured: every key route answers 401).
/// </summary>
public sealed class AdminAuthorizer(AdminKeyValidator keys, IOptionsMonitor<AdminOptions> admin, IOptionsMonitor<MetricsOptions> metrics)
{
    /// <summary>The <c>WWW-Authenticate</c> challenge of a 401 on a key route (RFC 9110 §11.6.1).</summary>
    public const string Challenge = "SalesAuto-Key realm=\"salesauto-admin\", header=\"" + AdminKeyValidator.HeaderName + "\", query=\"" + AdminKeyValidator.QueryName + "\"";

    private readonly ConcurrentDictionary<(int PermitLimit, TimeSpan Window), PartitionedRateLimiter<string>> _limiters = new();

    /// <summary>
    /// Null when <paramref name="context"/> may call <paramref name="route"/> (the caller's key
    /// name is then in <see cref="AdminKeyValidator.Caller"/>), else the problem to answer with.
    /// </summary>
    public IResult? Authorize(Routes.RouteDefinition route, HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(route);
        ArgumentNullException.ThrowIfNull(context);
        var needsKey = route.Access == Routes.Access.Key
            || (route.Access == Routes.Access.MetricsKey && metrics.CurrentValue.RequireKey);
        if (!needsKey)
        {
            return null;
        }

        var options = admin.CurrentValue;
        if (route.Access == Routes.Access.Key && CheckOrigin(context, options) is { } refused)
        {
            return refused;
        }

        if (route.Access == Routes.Access.Key && CheckRateLimit(context, options) is { } limited)
        {
            return limited;
        }

        var caller = keys.Authenticate(context.Request);
        if (caller is null)
        {
            context.Response.Headers.WWWAuthenticate = Challenge;
            return Problems.Unauthorized(
                "key-invalid",
                options.Keys.Count == 0
                    ? "No admin key is configured (Admin:Keys:{name}), so every admin route refuses."
                    : $"A valid admin key is required in the {AdminKeyValidator.HeaderName} header or the {AdminKeyValidator.QueryName} query parameter.");
        }

        context.Items[AdminKeyValidator.CallerItem] = caller;
        return null;
    }

    // Cross-origin browser calls only from Admin:AllowedOrigins; same-origin calls and calls
    // without an Origin header (curl, servers) pass untouched.
    private static ProblemResult? CheckOrigin(HttpContext context, AdminOptions options)
    {
        string? origin = context.Request.Headers.Origin;
        if (string.IsNullOrEmpty(origin) || IsSameOrigin(context.Request, origin))
        {
            return null;
        }

        if (!options.AllowedOrigins.Any(allowed => string.Equals(allowed.TrimEnd('/'), origin, StringComparison.OrdinalIgnoreCase)))
        {
            return Problems.ForbiddenOrigin(origin);
        }

        var headers = context.Response.Headers;
        headers.AccessControlAllowOrigin = origin;
        headers.Vary = "Origin";
        headers.AccessControlExposeHeaders = $"{CorrelationId.HeaderName}, Retry-After";
        return null;
    }

    // Host and port, not the scheme: behind the Functions host or a TLS-terminating proxy the worker
    // sees http while the browser's origin (the console's own page) is https on the same host.
    private static bool IsSameOrigin(HttpRequest request, string origin) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var uri)
        && string.Equals(uri.Host, request.Host.Host, StringComparison.OrdinalIgnoreCase)
        && (request.Host.Port is not { } port || port == uri.Port || uri.IsDefaultPort);

    // A fixed window per caller: the key presented (hashed, never stored), else the client address.
    // Counted before the key is checked, so guessing keys is limited too.
    private ProblemResult? CheckRateLimit(HttpContext context, AdminOptions options)
    {
        var limiter = _limiters.GetOrAdd((options.RateLimit.PermitLimit, options.RateLimit.Window), static settings =>
            PartitionedRateLimiter.Create<string, string>(partition => RateLimitPartition.GetFixedWindowLimiter(partition, _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = settings.PermitLimit,
                Window = settings.Window,
                QueueLimit = 0,
                AutoReplenishment = true,
            })));
        using var lease = limiter.AttemptAcquire(CallerPartition(context));
        if (lease.IsAcquired)
        {
            return null;
        }

        var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1);
        return Problems.TooManyRequests(retryAfter);
    }

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
