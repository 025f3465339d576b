using System.Buffers.Text;
using SalesAuto.Core.Audit;
using SalesAuto.Core.DeadLetters;

namespace SalesAuto.Core.Tests.Http;

/// <summary>The one cursor format both keyset lists (dead letters, audit) issue and check.</summary>
public sealed class KeysetCursorTests
{
    private static readonly DateTimeOffset At = new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero).AddTicks(1_234_560);

    [Fact]
    public void AuditCursor_RoundTrips_AndIsRefusedForOtherFilters()
    {
        var filter = new AuditFilter(AuditActions.Ignore, "ops");
        var cursor = filter.EncodeCursor(new AuditPosition(At, 42));

        Assert.Equal(34, cursor.Length);
        Assert.True((filter with { }).TryDecodeCursor(cursor, out var position, out _));
        Assert.Equal(new AuditPosition(At, 42), position);
        Assert.False((filter with { Actor = "someone" }).TryDecodeCursor(cursor, out _, out var error));
        Assert.Contains("other filters", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryDecode_RefusesACursorOfTheOtherList_AsNotIssued()
    {
        var deadLetterCursor = DeadLetterFilter.None.EncodeCursor(new DeadLetterPosition(At, Guid.NewGuid()));
        var auditCursor = new AuditFilter().EncodeCursor(new AuditPosition(At, 7));

        Assert.False(new AuditFilter().TryDecodeCursor(deadLetterCursor, out _, out var auditError));
        Assert.False(DeadLetterFilter.None.TryDecodeCursor(auditCursor, out _, out var deadLetterError));
        Assert.Equal("cursor is not one this API issued.", auditError);
        Assert.Equal("cursor is not one this API issued.", deadLetterError);
    }

    [Fact]
    public void TryDecode_RefusesAnotherVersion_AndANonPositiveAuditId()
    {
        var filter = new AuditFilter();
        var bytes = Base64Url.DecodeFromChars(filter.EncodeCursor(new AuditPosition(At, 1)));
        bytes[0] = 2;
        Assert.False(filter.TryDecodeCursor(Base64Url.EncodeToString(bytes), out _, out var versionError));
        Assert.Contains("version 2", versionError, StringComparison.Ordinal);

        Assert.False(filter.TryDecodeCursor(filter.EncodeCursor(new AuditPosition(At, 0)), out _, out var idError));
        Assert.Equal("cursor is not one this API issued.", idError);
    }
}
