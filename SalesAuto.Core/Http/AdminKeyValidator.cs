using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace SalesAuto.Core.Http;

/// <summary>
/// Checks an admin key the way the Functions host checks a function key: header
/// <c>x-functions-key</c> or query <c>code</c>, so one client works against both hosts.
/// </summary>
public sealed class AdminKeyValidator(IOptionsMonitor<AdminOptions> options)
{
    /// <summary>The header the Functions host reads.</summary>
    public const string HeaderName = "x-functions-key";

    /// <summary>The query parameter the Functions host reads.</summary>
    public const string QueryName = "code";

    /// <summary>Where the caller's key name is kept for the audit log.</summary>
    public const string CallerItem = "salesauto.caller";

    /// <summary>The name of the key the request carries, or null when it carries none that is configured.</summary>
    public string? Authenticate(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        string? presented = request.Headers[HeaderName];
        if (string.IsNullOrEmpty(presented))
        {
            presented = request.Query[QueryName];
        }

        if (string.IsNullOrEmpty(presented))
        {
            return null;
        }

        // Hashing first gives equal lengths, so the constant-time compare does not leak the key's length;
        // every key is compared whatever matched, so the time taken says nothing either.
        var presentedHash = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        string? match = null;
        foreach (var (name, key) in options.CurrentValue.Keys)
        {
            if (CryptographicOperations.FixedTimeEquals(presentedHash, SHA256.HashData(Encoding.UTF8.GetBytes(key))))
            {
                match ??= name;
            }
        }

        return match;
    }

    /// <summary>Who is acting: the name of the admin key <see cref="AdminAuthorizer"/> accepted for this request.</summary>
    /// <exception cref="InvalidOperationException">The request was not authorized (a route that is not a key route).</exception>
    public static string Caller(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Items.TryGetValue(CallerItem, out var caller) && caller is string name
            ? name
            : throw new InvalidOperationException("The caller is known only on key routes, after AdminAuthorizer accepted the request.");
    }
}
