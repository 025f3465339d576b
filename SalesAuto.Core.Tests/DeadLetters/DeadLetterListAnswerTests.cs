using System.Text.Json;
using SalesAuto.Core.DeadLetters;
using SalesAuto.Core.Http;

namespace SalesAuto.Core.Tests.DeadLetters;

/// <summary>
/// The list's hand-written JSON writer against the serializer it replaced: the same page must give
/// the same bytes, so the payload shape of <c>GET /api/dlq</c> cannot drift from the documented one.
/// </summary>
public sealed class DeadLetterListAnswerTests
{
    [Fact]
    public void Write_GivesTheSerializersBytes_ForEveryKindOfValue()
    {
        var at = new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero).AddTicks(1_234_560);
        DeadLetterSummary[] items =
        [
            new(Guid.NewGuid(), "lemlist", "evt_1", "email.sent", "cam_1", DeadLetterStatus.Failed, "enrollment not found after 6 attempts", 6, 0, at.AddHours(-2), at, at, null),
            // Nulls kept, every status, text the default encoder escapes (quotes, <, non-ASCII, a surrogate pair), whole seconds.
            new(Guid.NewGuid(), "hubspot", "evt \"2\" <b>", "contact.updated", null, DeadLetterStatus.Replaying, "naïve — 😀 \\ /", 1, 3, at, at.AddTicks(-at.Ticks % TimeSpan.TicksPerSecond), at, at.AddMinutes(1)),
            new(Guid.Empty, "standard", "e3", "t", "c", DeadLetterStatus.Replayed, "r", int.MaxValue, 0, at, at, at, at),
            new(Guid.NewGuid(), "standard", "e4", "t", "c", DeadLetterStatus.Ignored, string.Empty, 0, 0, DateTimeOffset.UnixEpoch, at, at, at),
        ];

        foreach (var (page, cursor) in new (DeadLetterSummary[], string?)[] { (items, "AQAB"), (items, null), ([], null) })
        {
            var expected = JsonSerializer.SerializeToUtf8Bytes(new { Items = page, NextCursor = cursor }, JsonDefaults.Options);
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                DeadLetterListAnswer.Write(writer, page, cursor);
            }

            Assert.Equal(System.Text.Encoding.UTF8.GetString(expected), System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
        }
    }
}
