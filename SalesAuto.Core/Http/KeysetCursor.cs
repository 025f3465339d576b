using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;

namespace SalesAuto.Core.Http;

/// <summary>
/// The opaque cursor of every keyset-paged list (dead letters, audit): base64url, unpadded, of
/// <c>[0]</c> version 1, <c>[1..9)</c> the sort time as microseconds since the Unix epoch
/// (big-endian), then the tie-breaker key (a UUID in RFC 4122 byte order, or a big-endian int64),
/// then the first 8 bytes of the SHA-256 of the list's filter (<see cref="Digest"/>). Anything that
/// does not decode to exactly this, or that was issued for other filters, is refused: the adapter
/// answers 400 <c>invalid-cursor</c> naming the query parameter.
/// </summary>
internal static class KeysetCursor
{
    /// <summary>The only version issued and accepted.</summary>
    public const byte Version = 1;

    private const int DigestLength = 8;

    private const int HeaderLength = 9;

    private const string NotIssued = "cursor is not one this API issued.";

    private static readonly long MinMicroseconds = ToMicroseconds(DateTimeOffset.MinValue);
    private static readonly long MaxMicroseconds = ToMicroseconds(DateTimeOffset.MaxValue);

    /// <summary>Microseconds since the Unix epoch: Postgres's precision for timestamptz.</summary>
    public static long ToMicroseconds(DateTimeOffset value) => (value.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    /// <summary>
    /// A short digest of a filter's criteria, in a fixed order (null for one not given): a cursor
    /// only continues the list it came from. A JSON array is an unambiguous encoding of the values.
    /// </summary>
    public static byte[] Digest(params object?[] criteria) =>
        SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(criteria)).AsSpan(0, DigestLength).ToArray();

    /// <summary>A cursor positioned at (<paramref name="at"/>, <paramref name="id"/>) for a UUID-keyed list.</summary>
    public static string Encode(DateTimeOffset at, Guid id, ReadOnlySpan<byte> digest)
    {
        Span<byte> key = stackalloc byte[16];
        id.TryWriteBytes(key, bigEndian: true, out _);
        return Encode(at, key, digest);
    }

    /// <summary>A cursor positioned at (<paramref name="at"/>, <paramref name="id"/>) for an int64-keyed list.</summary>
    public static string Encode(DateTimeOffset at, long id, ReadOnlySpan<byte> digest)
    {
        Span<byte> key = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(key, id);
        return Encode(at, key, digest);
    }

    /// <summary>Decodes a UUID-keyed cursor, or says why it is refused.</summary>
    public static bool TryDecode(string cursor, ReadOnlySpan<byte> digest, out DateTimeOffset at, out Guid id, out string error)
    {
        Span<byte> key = stackalloc byte[16];
        var ok = TryDecode(cursor, digest, key, out at, out error);
        id = ok ? new Guid(key, bigEndian: true) : Guid.Empty;
        return ok;
    }

    /// <summary>Decodes an int64-keyed cursor (ids from 1), or says why it is refused.</summary>
    public static bool TryDecode(string cursor, ReadOnlySpan<byte> digest, out DateTimeOffset at, out long id, out string error)
    {
        Span<byte> key = stackalloc byte[8];
        var ok = TryDecode(cursor, digest, key, out at, out error);
        id = ok ? BinaryPrimitives.ReadInt64BigEndian(key) : 0;
        if (ok && id < 1)
        {
            error = NotIssued;
            return false;
        }

        return ok;
    }

    private static string Encode(DateTimeOffset at, ReadOnlySpan<byte> key, ReadOnlySpan<byte> digest)
    {
        Span<byte> bytes = stackalloc byte[HeaderLength + key.Length + DigestLength];
        bytes[0] = Version;
        BinaryPrimitives.WriteInt64BigEndian(bytes[1..], ToMicroseconds(at));
        key.CopyTo(bytes[HeaderLength..]);
        digest[..DigestLength].CopyTo(bytes[(HeaderLength + key.Length)..]);
        return Base64Url.EncodeToString(bytes);
    }

    private static bool TryDecode(string cursor, ReadOnlySpan<byte> digest, Span<byte> key, out DateTimeOffset at, out string error)
    {
        at = default;
        error = NotIssued;
        var length = HeaderLength + key.Length + DigestLength;

        // A string longer than the encoding of exactly this many bytes is refused before it is decoded.
        if (cursor.Length == 0 || cursor.Length > Base64Url.GetEncodedLength(length) || !Base64Url.IsValid(cursor))
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[length + 3];
        if (Base64Url.DecodeFromChars(cursor, bytes, out var consumed, out var written) != OperationStatus.Done
            || consumed != cursor.Length || written != length)
        {
            return false;
        }

        if (bytes[0] != Version)
        {
            error = $"cursor has version {bytes[0]}; this API issues version {Version}. Start again without a cursor.";
            return false;
        }

        if (!bytes[(HeaderLength + key.Length)..length].SequenceEqual(digest[..DigestLength]))
        {
            error = "cursor was issued for other filters; send the filters it was issued with, or start again without a cursor.";
            return false;
        }

        var microseconds = BinaryPrimitives.ReadInt64BigEndian(bytes[1..]);
        if (microseconds < MinMicroseconds || microseconds > MaxMicroseconds)
        {
            return false;
        }

        bytes[HeaderLength..(HeaderLength + key.Length)].CopyTo(key);
        at = DateTimeOffset.UnixEpoch.AddTicks(microseconds * 10);
        error = string.Empty;
        return true;
    }
}
