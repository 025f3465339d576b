using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace SalesAuto.Core.Webhooks.Sources.HubSpot;

/// <summary>
/// The request URI HubSpot signs in signature v3: the public URL it called, with the URL-encoded
/// characters of HubSpot's table decoded.
/// </summary>
internal static class HubSpotRequestUri
{
    // HubSpot, "Validate the v3 request signature": "Decode any URL-encoded characters listed in the
    // following table in the requestUri" (%3A %2F %3F %40 %21 %24 %27 %28 %29 %2A %2C %3B), and only
    // those: %20, %2B, %26, %3D, %23 and the rest stay encoded.
    // https://developers.hubspot.com/docs/apps/legacy-apps/authentication/validating-requests#validate-the-v3-request-signature
    // https://developers.hubspot.com/docs/apps/developer-platform/build-apps/authentication/request-validation
    private static readonly (string Encoded, char Decoded)[] Decodings =
    [
        ("%3A", ':'), ("%2F", '/'), ("%3F", '?'), ("%40", '@'), ("%21", '!'), ("%24", '$'),
        ("%27", '\''), ("%28", '('), ("%29", ')'), ("%2A", '*'), ("%2C", ','), ("%3B", ';'),
    ];

    /// <summary>
    /// Scheme and authority (and any path base) from <paramref name="publicBaseUrl"/> when set, else from
    /// the first values of X-Forwarded-Proto and X-Forwarded-Host, else from the request itself; then the
    /// path and query as they arrived; then HubSpot's decoding.
    /// </summary>
    public static string Build(HttpRequest request, Uri? publicBaseUrl)
    {
        string origin;
        if (publicBaseUrl is not null)
        {
            // The operator's text, not Uri's normalized form: HubSpot signs the target URL as configured.
            var text = publicBaseUrl.OriginalString;
            var cut = text.AsSpan().IndexOfAny('?', '#');
            origin = (cut >= 0 ? text[..cut] : text).TrimEnd('/');
        }
        else
        {
            var scheme = FirstValue(request.Headers["X-Forwarded-Proto"]) ?? request.Scheme;
            var host = FirstValue(request.Headers["X-Forwarded-Host"]) ?? request.Host.Value ?? string.Empty;
            origin = $"{scheme}://{host}";
        }

        return Decode(origin + PathAndQuery(request));
    }

    /// <summary>Replaces each encoding of HubSpot's table (either hex case) by its character.</summary>
    public static string Decode(string uri)
    {
        if (!uri.Contains('%', StringComparison.Ordinal))
        {
            return uri;
        }

        var builder = new StringBuilder(uri.Length);
        for (var i = 0; i < uri.Length; i++)
        {
            if (uri[i] == '%' && i + 2 < uri.Length && TryDecode(uri.AsSpan(i, 3), out var decoded))
            {
                builder.Append(decoded);
                i += 2;
            }
            else
            {
                builder.Append(uri[i]);
            }
        }

        return builder.ToString();
    }

    // The request target exactly as it arrived (Kestrel keeps it) so that nothing the server decoded
    // or normalized changes the signed text; rebuilt from the path and query when there is none.
    private static string PathAndQuery(HttpRequest request)
    {
        var raw = request.HttpContext.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (!string.IsNullOrEmpty(raw) && raw[0] == '/')
        {
            return raw;
        }

        return request.PathBase.ToUriComponent() + request.Path.ToUriComponent() + request.QueryString.ToUriComponent();
    }

    private static string? FirstValue(Microsoft.Extensions.Primitives.StringValues values)
    {
        if (values.Count == 0)
        {
            return null;
        }

        var first = values[0] ?? string.Empty;
        var comma = first.IndexOf(',', StringComparison.Ordinal);
        var value = (comma >= 0 ? first[..comma] : first).Trim();
        return value.Length == 0 ? null : value;
    }

    private static bool TryDecode(ReadOnlySpan<char> escape, out char decoded)
    {
        foreach (var (encoded, character) in Decodings)
        {
            if (escape.Equals(encoded, StringComparison.OrdinalIgnoreCase))
            {
                decoded = character;
                return true;
            }
        }

        decoded = default;
        return false;
    }
}
