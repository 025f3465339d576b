using System.Buffers.Binary;
using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using SalesAuto.Core.Http;

namespace SalesAuto.Core.Audit;

/// <summary>
/// Which audit entries <c>GET /api/audit</c> lists: every criterion optional, those given must all
/// match; <see cref="From"/> and <see cref="To"/> bound the entry's time, both inclusive.
/// </summary>
/// <param name="Action">Only this action (<see cref="AuditActions"/>).</param>
/// <param name="Actor">Only this actor (exact).</param>
/// <param name="From">At or after (UTC, microsecond precision).</param>
/// <param name="To">At or before (UTC, microsecond precision).</param>
public sealed record AuditFilter(string? Action = null, string? Actor = null, DateTimeOffset? From = null, DateTimeOffset? To = null)
{
    /// <summary>The longest actor accepted.</summary>
    public const int MaxActorLength = 200;

    /// <summary>The criteria's query parameter names.</summary>
    public static IReadOnlyList<string> Names { get; } = ["action", "actor", "from", "to"];

    private static readonly string[] TimeFormats =
    [
        "yyyy-MM-dd",
        "yyyy-MM-dd'T'HH:mmK",
        "yyyy-MM-dd'T'HH:mm:ssK",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
    ];

    /// <summary>Reads the criteria from the query string; other parameters are ignored. A criterion given twice, empty or invalid is a 400 naming it.</summary>
    public static bool TryParse(IQueryCollection query, [NotNullWhen(true)] out AuditFilter? filter, [NotNullWhen(false)] out ProblemResult? problem)
    {
        ArgumentNullException.ThrowIfNull(query);
        filter = null;
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in Names)
        {
            if (!query.TryGetValue(name, out var given))
            {
                continue;
            }

            if (given.Count != 1)
            {
                problem = Problems.BadRequest($"Query parameter '{name}' is given {given.Count} times; give it once.");
                return false;
            }

            var text = given[0] ?? string.Empty;
            if (text.Length == 0 || !JsonText.IsStorable(text))
            {
                problem = Problems.BadRequest($"Query parameter '{name}' must be non-empty valid Unicode without NUL.");
                return false;
            }

            values[name] = text;
        }

        if (values.TryGetValue("action", out var action) && !AuditActions.All.Contains(action, StringComparer.Ordinal))
        {
            problem = Problems.BadRequest($"Query parameter 'action' '{JsonText.Truncate(action)}' is not an action; use one of {string.Join(", ", AuditActions.All)}.");
            return false;
        }

        if (values.TryGetValue("actor", out var actor) && actor.Length > MaxActorLength)
        {
            problem = Problems.BadRequest($"Query parameter 'actor' must be 1 to {MaxActorLength} characters; it has {actor.Length}.");
            return false;
        }

        if (!TryTime(values, "from", out var from, out problem) || !TryTime(values, "to", out var to, out problem))
        {
            return false;
        }

        if (from > to)
        {
            problem = Problems.BadRequest($"Query parameter 'from' ({from:O}) is after 'to' ({to:O}).");
            return false;
        }

        filter = new AuditFilter(action, actor, from, to);
        problem = null;
        return true;
    }

    /// <summary>A short digest of the criteria, for cursors: a cursor only continues the list it came from.</summary>
    internal byte[] Digest()
    {
        var canonical = JsonSerializer.SerializeToUtf8Bytes(new object?[]
        {
            Action,
            Actor,
            From is { } from ? ToMicroseconds(from) : null,
            To is { } to ? ToMicroseconds(to) : null,
        });
        return SHA256.HashData(canonical).AsSpan(0, 8).ToArray();
    }

    internal static long ToMicroseconds(DateTimeOffset value) => (value.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    private static bool TryTime(Dictionary<string, string> values, string name, out DateTimeOffset? time, [NotNullWhen(false)] out ProblemResult? problem)
    {
        time = null;
        problem = null;
        if (!values.TryGetValue(name, out var text))
        {
            return true;
        }

        if (!DateTimeOffset.TryParseExact(text, TimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            var hint = text.Contains(' ', StringComparison.Ordinal) ? " (in a query string, send '+' as %2B)" : string.Empty;
            problem = Problems.BadRequest($"Query parameter '{name}' '{JsonText.Truncate(text)}' is not an ISO 8601 date or date-time such as 2026-11-23 or 2026-11-23T10:00:00Z{hint}.");
            return false;
        }

        time = new DateTimeOffset(parsed.UtcTicks - (parsed.UtcTicks % 10), TimeSpan.Zero);
        return true;
    }
}

/// <summary>
/// The audit list's opaque cursor: base64url of 25 bytes, version 1: <c>[0]</c> version,
/// <c>[1..9)</c> the entry's time as microseconds since the Unix epoch, <c>[9..17)</c> its id,
/// <c>[17..25)</c> the filter's digest (all big-endian). Anything else, or a cursor issued for other
/// filters, is refused with a 400 (the same rules as the dead-letter list's cursor).
/// </summary>
internal static class AuditCursor
{
    public const byte Version = 1;

    private const int Length = 25;

    // base64url of 25 bytes, unpadded, is 34 characters.
    private const int MaxEncodedLength = 34;

    public static string Encode(AuditPosition position, AuditFilter filter)
    {
        Span<byte> bytes = stackalloc byte[Length];
        bytes[0] = Version;
        BinaryPrimitives.WriteInt64BigEndian(bytes[1..], AuditFilter.ToMicroseconds(position.At));
        BinaryPrimitives.WriteInt64BigEndian(bytes[9..], position.Id);
        filter.Digest().CopyTo(bytes[17..]);
        return Base64Url.EncodeToString(bytes);
    }

    public static bool TryDecode(string cursor, AuditFilter filter, out AuditPosition position, out string error)
    {
        position = default;
        error = "cursor is not one this API issued.";
        if (cursor.Length is 0 or > MaxEncodedLength || !Base64Url.IsValid(cursor))
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[Length + 3];
        if (Base64Url.DecodeFromChars(cursor, bytes, out var consumed, out var written) != System.Buffers.OperationStatus.Done
            || consumed != cursor.Length || written != Length)
        {
            return false;
        }

        if (bytes[0] != Version)
        {
            error = $"cursor has version {bytes[0]}; this API issues version {Version}. Start again without a cursor.";
            return false;
        }

        if (!bytes[17..Length].SequenceEqual(filter.Digest()))
        {
            error = "cursor was issued for other filters; send the filters it was issued with, or start again without a cursor.";
            return false;
        }

        var microseconds = BinaryPrimitives.ReadInt64BigEndian(bytes[1..]);
        var id = BinaryPrimitives.ReadInt64BigEndian(bytes[9..]);
        if (microseconds < AuditFilter.ToMicroseconds(DateTimeOffset.MinValue) || microseconds > AuditFilter.ToMicroseconds(DateTimeOffset.MaxValue) || id < 1)
        {
            return false;
        }

        position = new AuditPosition(DateTimeOffset.UnixEpoch.AddTicks(microseconds * 10), id);
        error = string.Empty;
        return true;
    }
}
