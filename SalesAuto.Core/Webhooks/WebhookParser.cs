using System.Globalization;
using System.Text.Json;
using SalesAuto.Core.Events;
using SalesAuto.Core.Http;
using SalesAuto.Core.Webhooks.Sources;

namespace SalesAuto.Core.Webhooks;

/// <summary>
/// Turns a verified webhook body into canonical events (docs/webhooks.md, "Canonical events" and
/// "Mapping"). Never throws on any body: whatever is wrong comes back as one sentence naming the
/// element and the field. Unknown fields are ignored; unknown provider types are kept as received.
/// </summary>
internal static class WebhookParser
{
    /// <summary>The most events one body may carry.</summary>
    public const int MaxEvents = 1000;

    /// <summary>The deepest JSON nesting accepted (provider payloads are a few levels deep).</summary>
    public const int MaxDepth = 64;

    /// <summary>The longest event, campaign or CRM contact id.</summary>
    public const int MaxIdLength = 200;

    /// <summary>The longest email address (the enrollments table's limit).</summary>
    public const int MaxEmailLength = EmailAddress.MaxLength;

    /// <summary>The longest event type.</summary>
    public const int MaxTypeLength = 100;

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        MaxDepth = MaxDepth,
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
    };

    /// <summary>
    /// Parses the body of source <paramref name="sourceName"/> of kind <paramref name="kind"/>:
    /// HubSpot, a JSON array of events; Lemlist, one activity object or an array of them;
    /// StandardWebhooks, one canonical event object or an array of them. The framing, the limits and
    /// the jsonb checks are here; each event is read by its source (<see cref="WebhookSource.ParseEvent"/>). An array holds 1 to
    /// <see cref="MaxEvents"/> elements, numbered from 0 in errors. The error may quote the body's
    /// property names and event types, never other values.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="kind"/> is <see cref="WebhookSourceKind.None"/> or unknown.</exception>
    public static ParseResult Parse(string sourceName, WebhookSourceKind kind, ReadOnlyMemory<byte> body)
    {
        ArgumentNullException.ThrowIfNull(sourceName);
        var source = WebhookSources.For(kind);

        var json = body;
        if (json.Span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            json = json[3..]; // a UTF-8 byte order mark: tolerated, as RFC 8259 section 8.1 allows
        }

        if (json.Span.Trim((ReadOnlySpan<byte>)" \t\r\n"u8).IsEmpty)
        {
            return ParseResult.Failure("body is empty");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, DocumentOptions);
        }
        catch (JsonException e)
        {
            return ParseResult.Failure(DescribeSyntaxError(e));
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Array)
            {
                return ParseBatch(sourceName, source, root);
            }

            if (!source.AcceptsSingleEvent)
            {
                return ParseResult.Failure($"a {source.Kind} body must be a JSON array of events");
            }

            if (root.ValueKind != JsonValueKind.Object)
            {
                return ParseResult.Failure("body must be a JSON object or array");
            }

            var error = ParseOne(sourceName, source, root, out var parsed);
            return error is null ? ParseResult.Success([parsed!]) : ParseResult.Failure(error);
        }
    }

    private static ParseResult ParseBatch(string sourceName, WebhookSource source, JsonElement array)
    {
        var count = array.GetArrayLength();
        if (count == 0)
        {
            return ParseResult.Failure("batch is empty");
        }

        if (count > MaxEvents)
        {
            return ParseResult.Failure($"batch has more than {MaxEvents} events");
        }

        var events = new List<CanonicalEvent>(count);
        var index = 0;
        foreach (var element in array.EnumerateArray())
        {
            if (ParseOne(sourceName, source, element, out var parsed) is { } error)
            {
                return ParseResult.Failure($"element {index}: {error}");
            }

            events.Add(parsed!);
            index++;
        }

        return ParseResult.Success(events);
    }

    private static string? ParseOne(string sourceName, WebhookSource source, JsonElement element, out CanonicalEvent? parsed)
    {
        parsed = null;
        if (element.ValueKind != JsonValueKind.Object)
        {
            return "must be a JSON object";
        }

        // First, so that reading fields below cannot meet an unreadable string, and so that the
        // payload Postgres stores as jsonb is one it accepts.
        if (JsonSafety.Check(element) is { } unsafeJson)
        {
            return unsafeJson;
        }

        return source.ParseEvent(sourceName, element, out parsed);
    }

    // JsonException's message ends with "Path: $.x | LineNumber: 0 | BytePositionInLine: 7."; the first
    // part says what is wrong, and the position is given 1-based as editors show it.
    private static string DescribeSyntaxError(JsonException e)
    {
        var message = e.Message;
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut < 0)
        {
            cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        }

        var what = (cut >= 0 ? message[..cut] : message).Trim();
        return e.LineNumber is { } line && e.BytePositionInLine is { } position
            ? string.Create(CultureInfo.InvariantCulture, $"body is not valid JSON: {what} (line {line + 1}, byte {position + 1})")
            : $"body is not valid JSON: {what}";
    }
}
