using System.Buffers.Binary;
using System.Buffers.Text;

namespace SalesAuto.Core.DeadLetters;

/// <summary>
/// The list's opaque cursor: base64url of 33 bytes, version 1:
/// <c>[0]</c> version, <c>[1..9)</c> created_at as microseconds since the Unix epoch (big-endian),
/// <c>[9..25)</c> the id (RFC 4122 byte order), <c>[25..33)</c> the first 8 bytes of the SHA-256 of
/// the filter (<see cref="DeadLetterFilter.Digest"/>). Anything that does not decode to exactly
/// this, or that was issued for other filters, is refused: the caller answers 400.
/// </summary>
internal static class DeadLetterCursor
{
    public const byte Version = 1;

    private const int Length = 33;

    // base64url of 33 bytes is 44 characters; a longer string is refused before it is decoded.
    private const int MaxEncodedLength = 44;

    private static readonly long MinMicroseconds = DeadLetterFilter.ToMicroseconds(DateTimeOffset.MinValue);
    private static readonly long MaxMicroseconds = DeadLetterFilter.ToMicroseconds(DateTimeOffset.MaxValue);

    public static string Encode(DeadLetterPosition position, DeadLetterFilter filter)
    {
        Span<byte> bytes = stackalloc byte[Length];
        bytes[0] = Version;
        BinaryPrimitives.WriteInt64BigEndian(bytes[1..], DeadLetterFilter.ToMicroseconds(position.CreatedAt));
        position.Id.TryWriteBytes(bytes[9..25], bigEndian: true, out _);
        filter.Digest().CopyTo(bytes[25..]);
        return Base64Url.EncodeToString(bytes);
    }

    /// <summary>The position after which the next page starts, or the reason the cursor is refused.</summary>
    public static bool TryDecode(string cursor, DeadLetterFilter filter, out DeadLetterPosition position, out string error)
    {
        position = default;
        if (cursor.Length is 0 or > MaxEncodedLength)
        {
            error = "cursor is not one this API issued.";
            return false;
        }

        Span<byte> bytes = stackalloc byte[Length + 3];
        if (!Base64Url.IsValid(cursor) || Base64Url.GetMaxDecodedLength(cursor.Length) > bytes.Length
            || Base64Url.DecodeFromChars(cursor, bytes, out var consumed, out var written) != System.Buffers.OperationStatus.Done
            || consumed != cursor.Length || written != Length)
        {
            error = "cursor is not one this API issued.";
            return false;
        }

        if (bytes[0] != Version)
        {
            error = $"cursor has version {bytes[0]}; this API issues version {Version}. Start again without a cursor.";
            return false;
        }

        if (!bytes[25..Length].SequenceEqual(filter.Digest()))
        {
            error = "cursor was issued for other filters; send the filters it was issued with, or start again without a cursor.";
            return false;
        }

        var microseconds = BinaryPrimitives.ReadInt64BigEndian(bytes[1..]);
        if (microseconds < MinMicroseconds || microseconds > MaxMicroseconds)
        {
            error = "cursor is not one this API issued.";
            return false;
        }

        position = new DeadLetterPosition(DateTimeOffset.UnixEpoch.AddTicks(microseconds * 10), new Guid(bytes[9..25], bigEndian: true));
        error = string.Empty;
        return true;
    }
}
