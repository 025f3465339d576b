using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace SalesAuto.Core.Http;

/// <summary>The JSON body of an admin request, or the problem that answers it.</summary>
/// <param name="Root">The parsed body, when it parsed.</param>
/// <param name="Problem">The 400, 413 or 415 to answer with, when it did not.</param>
public readonly record struct JsonRequestBody(JsonElement Root, ProblemResult? Problem)
{
    /// <summary>The largest admin request body accepted: 100 ids or a filter need far less.</summary>
    public const int MaxBytes = 64 * 1024;

    /// <summary>
    /// Reads a JSON object body: 415 unless the content type is JSON, 413 as soon as more than
    /// <paramref name="maxBytes"/> arrive (read in chunks, never buffered past the limit), 400 when
    /// it does not parse or is not an object.
    /// </summary>
    public static async Task<JsonRequestBody> ReadObjectAsync(HttpRequest request, CancellationToken cancellationToken, int maxBytes = MaxBytes)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!IsJson(request.ContentType))
        {
            return new(default, Problems.UnsupportedMediaType(request.ContentType));
        }

        if (request.ContentLength > maxBytes)
        {
            return new(default, Problems.TooLarge(maxBytes));
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                return new(default, Problems.TooLarge(maxBytes));
            }

            buffer.Write(chunk, 0, read);
        }

        try
        {
            using var document = JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), new JsonDocumentOptions { MaxDepth = 16 });
            return document.RootElement.ValueKind == JsonValueKind.Object
                ? new(document.RootElement.Clone(), null)
                : new(default, Problems.MalformedJson($"The body must be a JSON object, not {document.RootElement.ValueKind.ToString().ToLowerInvariant()}."));
        }
        catch (JsonException exception)
        {
            return new(default, Problems.MalformedJson($"The body is not valid JSON: {exception.Message}"));
        }
    }

    /// <summary>Whether a Content-Type names JSON: application/json or application/*+json, any parameters.</summary>
    public static bool IsJson(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return false;
        }

        var mediaType = contentType.Split(';', 2)[0].Trim();
        return mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || (mediaType.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>An optional string property: null when absent or null; a problem when present with another type, empty, or longer than <paramref name="maxLength"/>.</summary>
    public static ProblemResult? OptionalString(JsonElement root, string name, int maxLength, out string? value)
    {
        value = null;
        if (!root.TryGetProperty(name, out var property) || property.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (property.ValueKind != JsonValueKind.String)
        {
            return Problems.BadRequest($"'{name}' must be a string.");
        }

        value = property.GetString()!.Trim();
        if (value.Length == 0 || value.Length > maxLength)
        {
            return Problems.BadRequest($"'{name}' must be 1 to {maxLength} characters.");
        }

        return null;
    }

    /// <summary>A required string property, with the same rules.</summary>
    public static ProblemResult? RequiredString(JsonElement root, string name, int maxLength, out string value)
    {
        var problem = OptionalString(root, name, maxLength, out var optional);
        value = optional ?? string.Empty;
        return problem ?? (optional is null ? Problems.BadRequest($"'{name}' is required.") : null);
    }
}
