using System.Globalization;
using System.Text.Json;
using SalesAuto.Core.Events;
using SalesAuto.Core.Http;

namespace SalesAuto.Core.Webhooks;

/// <summary>
/// Turns a verified webhook body into canonical events (docs/webhooks.md, "Canonical events" and
/// "Mapping"). Never throws on any body: whatever is wrong comes back as one sentence naming the
/// element and the field. Unknown fields are ignored; unknown provider types are kept as received.
/// </summary>
public static class WebhookParser
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

    private static readonly long MaxUnixMilliseconds = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    /// <summary>
    /// Parses the body of source <paramref name="sourceName"/> of kind <paramref name="kind"/>:
    /// HubSpot, a JSON array of events; Lemlist, one activity object or an array of them;
    /// StandardWebhooks, one canonical event object or an array of them. An array holds 1 to
    /// <see cref="MaxEvents"/> elements, numbered from 0 in errors. The error may quote the body's
    /// property names and event types, never other values.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="kind"/> is <see cref="WebhookSourceKind.None"/> or unknown.</exception>
    public static ParseResult Parse(string sourceName, WebhookSourceKind kind, ReadOnlyMemory<byte> body)
    {
        ArgumentNullException.ThrowIfNull(sourceName);
        if (kind is not (WebhookSourceKind.HubSpot or WebhookSourceKind.Lemlist or WebhookSourceKind.StandardWebhooks))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "A webhook source kind is required.");
        }

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
                return ParseBatch(sourceName, kind, root);
            }

            if (kind == WebhookSourceKind.HubSpot)
            {
                return ParseResult.Failure("a HubSpot body must be a JSON array of events");
            }

            if (root.ValueKind != JsonValueKind.Object)
            {
                return ParseResult.Failure("body must be a JSON object or array");
            }

            var error = ParseOne(sourceName, kind, root, out var parsed);
            return error is null ? ParseResult.Success([parsed!]) : ParseResult.Failure(error);
        }
    }

    private static ParseResult ParseBatch(string sourceName, WebhookSourceKind kind, JsonElement array)
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
            if (ParseOne(sourceName, kind, element, out var parsed) is { } error)
            {
                return ParseResult.Failure($"element {index}: {error}");
            }

            events.Add(parsed!);
            index++;
        }

        return ParseResult.Success(events);
    }

    private static string? ParseOne(string sourceName, WebhookSourceKind kind, JsonElement element, out CanonicalEvent? parsed)
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

        return kind switch
        {
            WebhookSourceKind.HubSpot => ParseHubSpot(sourceName, element, out parsed),
            WebhookSourceKind.Lemlist => ParseLemlist(sourceName, element, out parsed),
            _ => ParseCanonical(sourceName, element, out parsed),
        };
    }

    // https://developers.hubspot.com/docs/api/webhooks (payload fields). eventId alone is not unique
    // across a portal's subscriptions, so the key combines portal, subscription, event and time.
    private static string? ParseHubSpot(string sourceName, JsonElement e, out CanonicalEvent? parsed)
    {
        parsed = null;
        var fields = new Fields(e);
        var eventId = fields.Integer("eventId");
        var subscriptionId = fields.Integer("subscriptionId");
        var portalId = fields.Integer("portalId");
        var occurredAtMs = fields.UnixMilliseconds("occurredAt");
        var subscriptionType = fields.RequiredString("subscriptionType", MaxTypeLength);
        var objectId = fields.IntegerOrString("objectId", MaxIdLength);
        if (fields.Error is not null)
        {
            return fields.Error;
        }

        if (objectId is null && EventTypes.HubSpot.ContainsKey(subscriptionType))
        {
            return $"'objectId' is required for subscriptionType '{subscriptionType}'";
        }

        parsed = new CanonicalEvent(
            sourceName,
            string.Create(CultureInfo.InvariantCulture, $"{portalId}:{subscriptionId}:{eventId}:{occurredAtMs}"),
            EventTypes.FromHubSpot(subscriptionType),
            DateTimeOffset.FromUnixTimeMilliseconds(occurredAtMs),
            CampaignId: null,
            Email: null,
            CrmContactId: objectId,
            e.GetRawText());
        return null;
    }

    private static string? ParseLemlist(string sourceName, JsonElement e, out CanonicalEvent? parsed)
    {
        parsed = null;
        var fields = new Fields(e);
        var id = fields.RequiredString("_id", MaxIdLength);
        var type = fields.RequiredString("type", MaxTypeLength);
        var createdAt = fields.Instant("createdAt");
        var campaignId = fields.OptionalString("campaignId", MaxIdLength);
        var email = fields.OptionalEmail("leadEmail");
        if (fields.Error is not null)
        {
            return fields.Error;
        }

        // A mapped type must name its enrollment; an unknown one is kept even when it cannot (it then
        // waits as an orphan and ends as a dead letter an operator can inspect).
        if (EventTypes.Lemlist.ContainsKey(type))
        {
            if (campaignId is null)
            {
                return $"'campaignId' is required for type '{type}'";
            }

            if (email is null)
            {
                return $"'leadEmail' is required for type '{type}'";
            }
        }

        parsed = new CanonicalEvent(sourceName, id, EventTypes.FromLemlist(type), createdAt, campaignId, email, CrmContactId: null, e.GetRawText());
        return null;
    }

    private static string? ParseCanonical(string sourceName, JsonElement e, out CanonicalEvent? parsed)
    {
        parsed = null;
        var fields = new Fields(e);
        var id = fields.RequiredString("id", MaxIdLength);
        var type = fields.RequiredString("type", MaxTypeLength);
        var occurredAt = fields.Instant("occurredAt");
        var campaignId = fields.OptionalString("campaignId", MaxIdLength);
        var email = fields.OptionalEmail("email");
        var crmContactId = fields.OptionalString("crmContactId", MaxIdLength);
        if (fields.Error is not null)
        {
            return fields.Error;
        }

        if ((campaignId is null || email is null) && crmContactId is null)
        {
            return "either 'campaignId' and 'email', or 'crmContactId', is required";
        }

        parsed = new CanonicalEvent(sourceName, id, type, occurredAt, campaignId, email, crmContactId, e.GetRawText());
        return null;
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

    /// <summary>
    /// Reads the fields of one event object in order and keeps the first problem: after it, every read
    /// returns a default, so a parser reads all its fields and checks <see cref="Error"/> once.
    /// </summary>
    private sealed class Fields(JsonElement element)
    {
        public string? Error { get; private set; }

        public string RequiredString(string name, int maxLength)
        {
            var value = OptionalString(name, maxLength);
            if (Error is null && value is null)
            {
                Error = $"'{name}' is required";
            }

            return value ?? string.Empty;
        }

        public string? OptionalString(string name, int maxLength)
        {
            if (Get(name) is not { } field)
            {
                return null;
            }

            if (field.ValueKind != JsonValueKind.String)
            {
                return Fail<string?>($"'{name}' must be a string", null);
            }

            var text = field.GetString()!;
            if (string.IsNullOrWhiteSpace(text))
            {
                return Fail<string?>($"'{name}' must not be empty", null);
            }

            return text.Length > maxLength ? Fail<string?>($"'{name}' must be at most {maxLength} characters", null) : text;
        }

        // Trimmed and lower-cased (invariant), as enrollments store them, so the two compare equal.
        public string? OptionalEmail(string name)
        {
            var text = OptionalString(name, int.MaxValue);
            if (text is null)
            {
                return null;
            }

            return EmailAddress.Normalize(text) ?? Fail<string?>($"'{name}' must be {EmailAddress.Rule}", null);
        }

        public long Integer(string name)
        {
            if (Get(name) is not { } field)
            {
                return Fail(Required(name), 0L);
            }

            return field.ValueKind == JsonValueKind.Number && field.TryGetInt64(out var value) ? value : Fail($"'{name}' must be an integer", 0L);
        }

        // HubSpot sends object ids as numbers; a string is accepted too, as a CRM contact id is text.
        public string? IntegerOrString(string name, int maxLength)
        {
            if (Get(name) is not { } field)
            {
                return null;
            }

            if (field.ValueKind == JsonValueKind.String)
            {
                return OptionalString(name, maxLength);
            }

            return field.ValueKind == JsonValueKind.Number && field.TryGetInt64(out var value)
                ? value.ToString(CultureInfo.InvariantCulture)
                : Fail<string?>($"'{name}' must be an integer or a string", null);
        }

        public long UnixMilliseconds(string name)
        {
            if (Get(name) is not { } field)
            {
                return Fail(Required(name), 0L);
            }

            return field.ValueKind == JsonValueKind.Number && field.TryGetInt64(out var value) && value >= 0 && value <= MaxUnixMilliseconds
                ? value
                : Fail($"'{name}' must be a Unix millisecond timestamp", 0L);
        }

        // An offset is required: a time without one would be a different instant on every server.
        public DateTimeOffset Instant(string name)
        {
            if (Get(name) is not { } field)
            {
                return Fail(Required(name), DateTimeOffset.MinValue);
            }

            return field.ValueKind == JsonValueKind.String && field.TryGetDateTimeOffset(out var value) && HasOffset(field.GetString()!)
                ? value.ToUniversalTime()
                : Fail($"'{name}' must be an ISO 8601 date-time with an offset, such as 2026-11-23T10:00:00Z", DateTimeOffset.MinValue);
        }

        private static string Required(string name) => $"'{name}' is required";

        private static bool HasOffset(string text)
        {
            var t = text.AsSpan().IndexOfAny('T', 't');
            if (t < 0)
            {
                return false;
            }

            var time = text.AsSpan(t + 1);
            return time.EndsWith("Z", StringComparison.OrdinalIgnoreCase) || time.IndexOfAny('+', '-') >= 0;
        }

        // Absent and null read the same: not given. Nothing is read after the first problem.
        private JsonElement? Get(string name) =>
            Error is null && element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

        private T Fail<T>(string error, T fallback)
        {
            Error ??= error;
            return fallback;
        }
    }
}
