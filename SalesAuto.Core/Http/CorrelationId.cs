using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace SalesAuto.Core.Http;

/// <summary>
/// The request's correlation id, the same on both hosts: the caller's <c>X-Request-ID</c> when it
/// is a sane token, a new one otherwise; echoed in the response and kept as
/// <see cref="HttpContext.TraceIdentifier"/>, which problem+json bodies carry.
/// </summary>
public static partial class CorrelationId
{
    /// <summary>The header read and echoed.</summary>
    public const string HeaderName = "X-Request-ID";

    /// <summary>Takes or makes the id, stores it on the context and echoes it; returns it.</summary>
    public static string Apply(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        string? id = context.Request.Headers[HeaderName];
        if (string.IsNullOrEmpty(id) || !SafeId().IsMatch(id))
        {
            id = Guid.NewGuid().ToString("N");
        }

        context.TraceIdentifier = id;
        context.Response.Headers[HeaderName] = id;
        return id;
    }

    // No spaces, quotes or control characters: the id goes into headers and logs as it is.
    [GeneratedRegex("^[A-Za-z0-9._:-]{1,128}$")]
    private static partial Regex SafeId();
}
