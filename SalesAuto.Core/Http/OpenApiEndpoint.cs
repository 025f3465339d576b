using Microsoft.AspNetCore.Http;

namespace SalesAuto.Core.Http;

/// <summary><c>GET /api/openapi.json</c>: the OpenAPI 3.1 document of the admin routes, an embedded resource read once.</summary>
internal sealed class OpenApiEndpoint
{
    private const string ResourceSuffix = ".Http.openapi.json";

    private static readonly Lazy<byte[]> Document = new(Load);

    /// <summary>The document as <c>application/json</c>.</summary>
    public IResult Get(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.Headers.CacheControl = "public, max-age=300";
        return Results.Bytes(Document.Value, "application/json; charset=utf-8");
    }

    private static byte[] Load()
    {
        var assembly = typeof(OpenApiEndpoint).Assembly;
        var name = assembly.GetManifestResourceNames().Single(n => n.EndsWith(ResourceSuffix, StringComparison.Ordinal));
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }
}
