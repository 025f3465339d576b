using System.Text.Json;
using SalesAuto.Core.DeadLetters;

namespace SalesAuto.Core.Tests.DeadLetters;

/// <summary>The parsers replay shares with list and ignore: JSON filters, id lists, cursors.</summary>
public sealed class DeadLetterRequestParsingTests
{
    [Fact]
    public void FilterTryParse_ReadsEveryCriterion_FromJson()
    {
        var ok = DeadLetterFilter.TryParse(Json("""{"status":"ignored","source":"lemlist","type":"email.sent","from":"2026-01-01","to":"2026-01-02T10:30:00.1234567+02:00"}"""), out var filter, out var problem);

        Assert.True(ok, problem?.Detail);
        Assert.Equal(DeadLetterStatus.Ignored, filter!.Status);
        Assert.Equal(("lemlist", "email.sent"), (filter.Source, filter.Type));
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), filter.From);
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 8, 30, 0, TimeSpan.Zero).AddTicks(1_234_560), filter.To);
        Assert.Equal(TimeSpan.Zero, filter.To!.Value.Offset);
        Assert.False(filter.IsEmpty);
    }

    [Fact]
    public void FilterTryParse_TreatsNullsAsAbsent_AndAnEmptyObjectAsNoFilter()
    {
        Assert.True(DeadLetterFilter.TryParse(Json("""{"status":null,"source":null}"""), out var nulls, out _));
        Assert.True(DeadLetterFilter.TryParse(Json("{}"), out var empty, out _));

        Assert.Equal(DeadLetterFilter.None, nulls);
        Assert.True(empty!.IsEmpty);
    }

    [Theory]
    [InlineData("""{"stauts":"failed"}""", "filter.stauts is not a known criterion")]
    [InlineData("""{"status":"failed","status":"ignored"}""", "more than once")]
    [InlineData("""{"status":1}""", "filter.status must be a string or null; it is a number")]
    [InlineData("""{"status":"Failed"}""", "filter.status 'Failed' is not a status")]
    [InlineData("""{"source":""}""", "filter.source must be 1 to 200")]
    [InlineData("""{"type":"a\u0000"}""", "filter.type contains a NUL")]
    [InlineData("""{"type":"\udc00"}""", "filter.type is not valid Unicode")]
    [InlineData("""{"from":"2026-01-02","to":"2026-01-01"}""", "is after filter.to")]
    [InlineData("""{"from":"tomorrow"}""", "filter.from 'tomorrow' is not an ISO 8601")]
    [InlineData("""{"to":["2026-01-01"]}""", "filter.to must be a string or null; it is an array")]
    [InlineData("""[]""", "filter must be a JSON object")]
    [InlineData("""{"source":{"x":1}}""", "it is an object")]
    public void FilterTryParse_Returns400NamingTheCriterion_WhenJsonIsInvalid(string json, string expected)
    {
        var ok = DeadLetterFilter.TryParse(Json(json), out var filter, out var problem);

        Assert.False(ok);
        Assert.Null(filter);
        Assert.Equal(400, problem!.StatusCode);
        Assert.Contains(expected, problem.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void FilterTryParse_AcceptsEqualFromAndTo()
    {
        Assert.True(DeadLetterFilter.TryParse(Json("""{"from":"2026-01-01T00:00:00Z","to":"2026-01-01"}"""), out var filter, out _));
        Assert.Equal(filter!.From, filter.To);
    }

    [Fact]
    public void IdListTryParse_FoldsDuplicates_InFirstOrder()
    {
        Guid a = Guid.NewGuid(), b = Guid.NewGuid();

        var ok = DeadLetterIdList.TryParse(Json($"""["{b}","{a}","{b.ToString().ToUpperInvariant()}","{a}"]"""), out var ids, out _);

        Assert.True(ok);
        Assert.Equal([b, a], ids);
    }

    [Fact]
    public void IdListTryParse_CountsEntriesBeforeFolding()
    {
        var id = Guid.NewGuid();

        var ok = DeadLetterIdList.TryParse(Json(JsonSerializer.Serialize(Enumerable.Repeat(id, 101))), out _, out var problem);

        Assert.False(ok);
        Assert.Contains("it holds 101", problem!.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void IdListTryParseMember_Returns400_WhenIdsIsMissing()
    {
        Assert.False(DeadLetterIdList.TryParseMember(Json("""{"filter":{}}"""), out _, out var problem));
        Assert.Contains("ids is required", problem!.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void IdListTryParse_SaysIsNotAUuid_WhenOneEntryIsBad()
    {
        var ok = DeadLetterIdList.TryParse(Json($"""["{Guid.NewGuid()}","abc",7]"""), out _, out var two);
        var okToo = DeadLetterIdList.TryParse(Json($"""["{Guid.NewGuid()}","abc"]"""), out _, out var one);

        Assert.False(ok || okToo);
        Assert.StartsWith("1 of 2 ids is not a UUID (a UUID looks like ", one!.Detail, StringComparison.Ordinal);
        Assert.EndsWith(": ids[1] 'abc' is not a UUID.", one.Detail, StringComparison.Ordinal);
        Assert.StartsWith("2 of 3 ids are not UUIDs (a UUID looks like ", two!.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void IdListTryParse_NamesAtMost20EntriesInTheDetail()
    {
        var ok = DeadLetterIdList.TryParse(Json(JsonSerializer.Serialize(Enumerable.Range(0, 30).Select(i => $"bad{i}"))), out _, out var problem);

        Assert.False(ok);
        Assert.Contains("ids[19] 'bad19'", problem!.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("ids[20]", problem.Detail, StringComparison.Ordinal);
        Assert.Contains("and 10 more", problem.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Cursor_RoundTrips_ThePositionAtMicrosecondPrecision()
    {
        var filter = new DeadLetterFilter(DeadLetterStatus.Failed, "lemlist");
        var position = new DeadLetterPosition(new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero).AddTicks(1_234_560), Guid.NewGuid());

        var cursor = filter.EncodeCursor(position);
        var ok = (filter with { }).TryDecodeCursor(cursor, out var decoded, out _);

        Assert.True(ok);
        Assert.Equal(position, decoded);
        Assert.Equal(44, cursor.Length);
        Assert.DoesNotContain('=', cursor);
        Assert.False((filter with { Source = "hubspot" }).TryDecodeCursor(cursor, out _, out var error));
        Assert.Contains("other filters", error, StringComparison.Ordinal);
    }

    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();
}
