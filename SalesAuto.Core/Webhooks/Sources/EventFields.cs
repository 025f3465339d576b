using System.Globalization;
using System.Text.Json;
using SalesAuto.Core.Http;

namespace SalesAuto.Core.Webhooks.Sources;

/// <summary>
/// Reads the fields of one event object in order and keeps the first problem: after it, every read
/// returns a default, so a parser reads all its fields and checks <see cref="Error"/> once.
/// </summary>
internal sealed class EventFields(JsonElement element)
{
    private static readonly long MaxUnixMilliseconds = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

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
