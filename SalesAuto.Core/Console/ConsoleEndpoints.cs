using System.Collections.Frozen;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using SalesAuto.Core.Http;

namespace SalesAuto.Core.Console;

/// <summary>
/// <c>GET /api/console</c> and <c>GET /api/console/{asset}</c>: the operator console, a static page
/// and its ES modules and CSS, embedded in Core (<c>Console/Assets/</c>) so both hosts serve the
/// same bytes with no build step. Only the embedded files are served: the asset name is looked up
/// in a fixed table, so an unknown or traversal name (<c>..%2Fopenapi.json</c>) is a 404 and never
/// touches a file system. The page itself holds no data; its scripts call the admin routes with
/// the key the operator types.
/// </summary>
internal sealed class ConsoleEndpoints
{
    /// <summary>The page's name in <see cref="Assets"/>.</summary>
    public const string PageName = "index.html";

    /// <summary>
    /// The Content-Security-Policy of every console answer: only this origin's scripts, styles and
    /// fetches, no inline code, no framing, no forms posting anywhere. Payloads are attacker-controlled
    /// webhook content, so even a rendering bug must not be able to run or load anything.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

    private const string ResourcePrefix = "SalesAuto.Core.Console.Assets.";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly Lazy<FrozenDictionary<string, Asset>> Table = new(Load);

    /// <summary>The files served, by name (<c>index.html</c>, <c>app.js</c>, ...).</summary>
    public static IReadOnlyDictionary<string, Asset> Assets => Table.Value;

    /// <summary>The page.</summary>
    public IResult GetPage(HttpContext context) => Serve(context, PageName);

    /// <summary>One asset by exact name; 404 problem+json for anything not embedded (the page is served only at <c>/api/console</c>).</summary>
    public IResult GetAsset(HttpContext context, string name) =>
        string.Equals(name, PageName, StringComparison.Ordinal) ? NotFound(context) : Serve(context, name);

    private static IResult Serve(HttpContext context, string name)
    {
        ArgumentNullException.ThrowIfNull(context);
        ApplySecurityHeaders(context.Response);
        if (!Table.Value.TryGetValue(name, out var asset))
        {
            return NotFound(context);
        }

        // no-cache: the names are not fingerprinted, so a browser revalidates every time and an
        // upgrade is never half applied (an old module importing a new one); the ETag makes that a 304.
        var headers = context.Response.Headers;
        headers.CacheControl = "no-cache";
        headers.ETag = asset.ETag;
        var ifNoneMatch = context.Request.Headers.IfNoneMatch;
        if (ifNoneMatch.Count > 0 && EntityTagHeaderValue.TryParseList(ifNoneMatch, out var tags)
            && tags.Any(tag => tag.Compare(EntityTagHeaderValue.Any, useStrongComparison: false) || string.Equals(tag.Tag.Value, asset.ETag, StringComparison.Ordinal)))
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }

        return Results.Bytes(asset.Content, asset.ContentType);
    }

    private static ProblemResult NotFound(HttpContext context)
    {
        context.Response.Headers.CacheControl = "no-store";
        return Problems.NotFound($"The console has no file {JsonText.Truncate(context.Request.Path.Value ?? "/")}.");
    }

    /// <summary>The headers of every console answer, the 404s included.</summary>
    private static void ApplySecurityHeaders(HttpResponse response)
    {
        var headers = response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.XFrameOptions = "DENY";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Cross-Origin-Resource-Policy"] = "same-origin";
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()";
    }

    private static FrozenDictionary<string, Asset> Load()
    {
        var assembly = typeof(ConsoleEndpoints).Assembly;
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            var name = resource[ResourcePrefix.Length..];
            if (!ContentTypes.TryGetValue(Path.GetExtension(name), out var contentType))
            {
                throw new InvalidOperationException($"Console asset {name} has no known content type; add its extension to ConsoleEndpoints.");
            }

            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var content = buffer.ToArray();
            var etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(content), 0, 16) + "\"";
            assets[name] = new Asset(content, contentType, etag);
        }

        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>One embedded file.</summary>
    /// <param name="Content">Its bytes.</param>
    /// <param name="ContentType">Its <c>Content-Type</c>.</param>
    /// <param name="ETag">A strong entity tag of its bytes, quoted.</param>
    public sealed record Asset(byte[] Content, string ContentType, string ETag);
}
