using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace SalesAuto.Core.Webhooks;

/// <summary>What <see cref="WebhookBodyReader.ReadAsync"/> found.</summary>
internal enum BodyReadStatus
{
    /// <summary>A JSON body within the limit: <see cref="BodyReadResult.Body"/> holds it.</summary>
    Ok,

    /// <summary>The body passed the limit (declared or while reading): answer 413.</summary>
    TooLarge,

    /// <summary>The Content-Type is missing or not JSON: answer 415.</summary>
    UnsupportedMediaType,
}

/// <summary>The outcome of reading a webhook body.</summary>
/// <param name="Status">What was found.</param>
/// <param name="Body">The raw bytes exactly as received when <see cref="BodyReadStatus.Ok"/>; empty otherwise.</param>
/// <param name="ContentType">The request's Content-Type header as sent, null when absent.</param>
internal sealed record BodyReadResult(BodyReadStatus Status, ReadOnlyMemory<byte> Body, string? ContentType);

/// <summary>
/// Reads a webhook body under a byte limit, enforced while reading: the request stream is never asked
/// for more than <c>maxBytes + 1</c> bytes, so an endless or lying sender costs at most that much memory.
/// </summary>
internal static class WebhookBodyReader
{
    // The first buffer when no Content-Length is declared; it doubles up to maxBytes + 1.
    private const int InitialBufferBytes = 16 * 1024;

    /// <summary>
    /// Checks that the Content-Type is JSON (<c>application/json</c> or any <c>application/*+json</c>,
    /// parameters such as charset allowed), refuses a declared Content-Length over
    /// <paramref name="maxBytes"/> without reading, then reads the body and stops as soon as more than
    /// <paramref name="maxBytes"/> bytes have arrived.
    /// </summary>
    /// <exception cref="BadHttpRequestException">
    /// The server could not read the body (the client disconnected or sent a malformed chunked body);
    /// its <see cref="BadHttpRequestException.StatusCode"/> says how to answer. A server-side body-size
    /// limit smaller than <paramref name="maxBytes"/> is reported as <see cref="BodyReadStatus.TooLarge"/> instead.
    /// </exception>
    public static async Task<BodyReadResult> ReadAsync(HttpRequest request, int maxBytes, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        // Array.MaxLength - 1: the buffer holds maxBytes + 1 bytes to notice the first byte too many.
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxBytes, Array.MaxLength - 1);

        var contentType = request.Headers.ContentType.Count == 0 ? null : request.Headers.ContentType.ToString();
        if (!IsJson(contentType))
        {
            return new BodyReadResult(BodyReadStatus.UnsupportedMediaType, ReadOnlyMemory<byte>.Empty, contentType);
        }

        var declared = request.ContentLength;
        if (declared > maxBytes)
        {
            return TooLarge(contentType);
        }

        // A growing array rather than ArrayPool: the caller keeps the bytes after this call returns
        // (verification, parsing, the payload of every event), so a rented buffer could not go back.
        var buffer = new byte[Math.Min(maxBytes + 1, declared is { } length ? (int)length + 1 : InitialBufferBytes)];
        var total = 0;
        try
        {
            while (true)
            {
                if (total == buffer.Length)
                {
                    Array.Resize(ref buffer, (int)Math.Min(maxBytes + 1L, buffer.Length * 2L));
                }

                var read = await request.Body.ReadAsync(buffer.AsMemory(total), ct).ConfigureAwait(false);
                if (read == 0)
                {
                    return new BodyReadResult(BodyReadStatus.Ok, buffer.AsMemory(0, total), contentType);
                }

                total += read;
                if (total > maxBytes)
                {
                    return TooLarge(contentType);
                }
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // Kestrel's own MaxRequestBodySize was passed first: the same answer as ours.
            return TooLarge(contentType);
        }
    }

    /// <summary>
    /// True for <c>application/json</c> and <c>application/*+json</c> (RFC 6839), compared without
    /// regard to case, whatever the parameters.
    /// </summary>
    internal static bool IsJson(string? contentType)
    {
        if (contentType is null || !MediaTypeHeaderValue.TryParse(contentType, out var parsed))
        {
            return false;
        }

        return parsed.Type.Equals("application", StringComparison.OrdinalIgnoreCase)
            && (parsed.SubType.Equals("json", StringComparison.OrdinalIgnoreCase)
                || parsed.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase));
    }

    private static BodyReadResult TooLarge(string? contentType) =>
        new(BodyReadStatus.TooLarge, ReadOnlyMemory<byte>.Empty, contentType);
}
