using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace SalesAuto.Core.Http;

/// <summary>
/// Reads an admin request's JSON object body: 415 unless the content type is JSON, 413 as soon as
/// the body passes the limit (counted while reading, so a client cannot make the server buffer
/// more than the limit), 400 naming the problem when the body is not a JSON object.
/// </summary>
internal static class JsonRequestBody
{
    /// <summary>The admin routes' body limit: 64 KiB holds 100 ids many times over.</summary>
    public const int DefaultMaxBytes = 64 * 1024;

    // Deep nesting is never needed by an admin body; refusing it early keeps parsing cheap.
    private static readonly JsonDocumentOptions ParseOptions = new() { MaxDepth = 16 };

    /// <summary>Reads and parses the body; the result holds the root object or the problem to answer with.</summary>
    public static async Task<JsonRequestBodyResult> ReadObjectAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 1);
        if (!request.HasJsonContentType())
        {
            return JsonRequestBodyResult.Failed(Problems.UnsupportedMediaType(request.ContentType));
        }

        if (request.ContentLength > maxBytes)
        {
            return JsonRequestBodyResult.Failed(TooLarge(maxBytes));
        }

        var buffer = new ArrayBufferWriter<byte>(Math.Min(maxBytes + 1, 4096));
        while (true)
        {
            // Never more than one byte past the limit: that byte is enough to know the body is too large.
            var room = maxBytes + 1 - buffer.WrittenCount;
            var memory = buffer.GetMemory(Math.Min(room, 8192));
            var read = await request.Body.ReadAsync(memory[..Math.Min(memory.Length, room)], cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            buffer.Advance(read);
            if (buffer.WrittenCount > maxBytes)
            {
                return JsonRequestBodyResult.Failed(TooLarge(maxBytes));
            }
        }

        if (buffer.WrittenCount == 0)
        {
            return JsonRequestBodyResult.Failed(Problems.MalformedJson("The body is empty; a JSON object is required."));
        }

        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(buffer.WrittenMemory, ParseOptions);
            root = document.RootElement.Clone();
        }
        catch (JsonException exception)
        {
            // The parser's message names the problem and where it is ("... LineNumber: 0 | BytePositionInLine: 7."); it quotes no more than a character of the body.
            return JsonRequestBodyResult.Failed(Problems.MalformedJson($"The body is not valid JSON: {exception.Message}"));
        }

        return root.ValueKind == JsonValueKind.Object
            ? JsonRequestBodyResult.Parsed(root)
            : JsonRequestBodyResult.Failed(Problems.MalformedJson($"The body must be a JSON object; it is {JsonText.Describe(root)}."));
    }

    /// <summary>
    /// The names of <paramref name="body"/>'s members that are not in <paramref name="known"/>, and the
    /// 400 to answer with when there are any: an admin body with a misspelt member is refused rather
    /// than half understood.
    /// </summary>
    public static bool TryRejectUnknownMembers(JsonElement body, IReadOnlyCollection<string> known, [NotNullWhen(true)] out ProblemResult? problem)
    {
        ArgumentNullException.ThrowIfNull(known);
        var unknown = body.ValueKind == JsonValueKind.Object
            ? body.EnumerateObject().Select(member => member.Name).Where(name => !known.Contains(name)).Distinct(StringComparer.Ordinal).ToList()
            : [];
        if (unknown.Count == 0)
        {
            problem = null;
            return false;
        }

        problem = Problems.BadRequest(
            $"Unknown member{(unknown.Count == 1 ? string.Empty : "s")} {string.Join(", ", unknown.Take(10).Select(name => $"'{JsonText.Truncate(name)}'"))}; the body takes {string.Join(", ", known)}.");
        return true;
    }

    /// <summary>
    /// An optional string member: null when absent or null; a 400 naming the member when it has
    /// another type, is empty or longer than <paramref name="maxLength"/>, or holds what cannot be
    /// stored or shown safely (<see cref="JsonText.TextProblem"/>; <paramref name="identifier"/>
    /// also refuses bidirectional controls).
    /// </summary>
    public static ProblemResult? OptionalString(JsonElement root, string name, int maxLength, out string? value, bool identifier = true)
    {
        value = null;
        if (!root.TryGetProperty(name, out var property) || property.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (property.ValueKind != JsonValueKind.String)
        {
            return Problems.BadRequest($"'{name}' must be a string; it is {JsonText.Describe(property)}.", Field(name));
        }

        if (!JsonText.TryGetString(property, out var text))
        {
            return Problems.BadRequest($"'{name}' must be valid Unicode (no unpaired surrogate).", Field(name));
        }

        text = text.Trim();
        if (text.Length == 0 || text.Length > maxLength)
        {
            return Problems.BadRequest($"'{name}' must be 1 to {maxLength} characters.", Field(name));
        }

        if (JsonText.TextProblem(text, identifier) is { } problem)
        {
            return Problems.BadRequest($"'{name}' {problem}.", Field(name));
        }

        value = text;
        return null;
    }

    /// <summary>A required string member, with the same rules.</summary>
    public static ProblemResult? RequiredString(JsonElement root, string name, int maxLength, out string value, bool identifier = true)
    {
        var problem = OptionalString(root, name, maxLength, out var optional, identifier);
        value = optional ?? string.Empty;
        return problem ?? (optional is null ? Problems.BadRequest($"'{name}' is required.", Field(name)) : null);
    }

    /// <summary>A required email member, normalised by the one rule (<see cref="EmailAddress"/>).</summary>
    public static ProblemResult? RequiredEmail(JsonElement root, string name, out string value)
    {
        var problem = RequiredString(root, name, EmailAddress.MaxLength, out var text);
        value = string.Empty;
        if (problem is not null)
        {
            return problem;
        }

        if (EmailAddress.Normalize(text) is not { } email)
        {
            return Problems.BadRequest($"'{name}' must be {EmailAddress.Rule}.", Field(name));
        }

        value = email;
        return null;
    }

    // Problem details name the member in a machine-readable extension too.
    private static Dictionary<string, object?> Field(string name) => new() { ["field"] = name };

    private static ProblemResult TooLarge(int maxBytes) =>
        new(StatusCodes.Status413PayloadTooLarge, "body-too-large", "The body is too large.",
            string.Create(CultureInfo.InvariantCulture, $"The body exceeds the admin limit of {maxBytes} bytes."),
            extensions: new Dictionary<string, object?> { ["limit"] = maxBytes });
}

/// <summary>The outcome of <see cref="JsonRequestBody.ReadObjectAsync"/>: the root object, or the problem to answer with.</summary>
internal sealed class JsonRequestBodyResult
{
    private JsonRequestBodyResult(JsonElement body, ProblemResult? problem)
    {
        Body = body;
        Problem = problem;
    }

    /// <summary>The root JSON object (default when <see cref="Problem"/> is set).</summary>
    public JsonElement Body { get; }

    /// <summary>The 400, 413 or 415 to answer with, or null when the body was read.</summary>
    public ProblemResult? Problem { get; }

    /// <summary>True when the body was read and is a JSON object.</summary>
    [MemberNotNullWhen(false, nameof(Problem))]
    public bool IsValid => Problem is null;

    internal static JsonRequestBodyResult Parsed(JsonElement body) => new(body, null);

    internal static JsonRequestBodyResult Failed(ProblemResult problem) => new(default, problem);
}
