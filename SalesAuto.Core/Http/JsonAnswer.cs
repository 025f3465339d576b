using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace SalesAuto.Core.Http;

/// <summary>
/// A JSON answer with <see cref="JsonDefaults.Options"/>, ended by a newline: a body read in a
/// terminal (curl) leaves the prompt on a line of its own, and line-oriented tools see one line.
/// Every JSON body of both hosts goes through here or <see cref="ProblemResult"/>.
/// </summary>
internal sealed class JsonAnswer : IResult, IStatusCodeHttpResult
{
    /// <summary>What follows every JSON body.</summary>
    public static ReadOnlyMemory<byte> Newline { get; } = "\n"u8.ToArray();

    private readonly object? _value;
    private readonly Type _type;

    private JsonAnswer(object? value, Type type, int statusCode)
    {
        _value = value;
        _type = type;
        StatusCode = statusCode;
    }

    /// <inheritdoc />
    public int? StatusCode { get; }

    /// <summary>The answer <paramref name="value"/> with <paramref name="statusCode"/> (200 unless given).</summary>
    public static JsonAnswer Of<T>(T value, int statusCode = StatusCodes.Status200OK) => new(value, typeof(T), statusCode);

    /// <inheritdoc />
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var response = httpContext.Response;
        response.StatusCode = StatusCode!.Value;
        response.ContentType = "application/json; charset=utf-8";
        await WriteAsync(response, _value, _type, httpContext.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes <paramref name="value"/> as JSON of <paramref name="type"/> and then the newline, with
    /// its Content-Length, in one write: serialized to the response stream, an answer left in three
    /// sends (the headers and body, the newline as a chunk of its own, the closing chunk), and each
    /// send on loopback costs the kernel's whole TCP path (docs/benchmarks.md, "Issue 15, third pass").
    /// </summary>
    internal static async Task WriteAsync(HttpResponse response, object? value, Type type, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(value, type, JsonDefaults.Options);
        response.ContentLength = json.Length + Newline.Length;
        response.BodyWriter.Write(json);
        response.BodyWriter.Write(Newline.Span);
        await response.BodyWriter.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
