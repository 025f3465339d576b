using System.Net;
using System.Text;
using System.Text.Json;
using SalesAuto.Core.Tests.Infrastructure;
using static SalesAuto.Core.Tests.DeadLetters.DeadLetterTestData;

namespace SalesAuto.Core.Tests.DeadLetters;

public sealed class DeadLetterListTests(DeadLetterApi api) : IClassFixture<DeadLetterApi>
{
    private static readonly DateTimeOffset Base = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task List_ReturnsNewestFirst_ByCreatedAtThenIdDescending()
    {
        var source = UniqueSource();
        var seeded = new List<(Guid Id, DateTimeOffset At)>();
        for (var i = 0; i < 12; i++)
        {
            // Groups of three share a created_at, as a batch dead-lettered in one statement does: id breaks the tie.
            var at = Base.AddMinutes(i / 3);
            seeded.Add((await InsertAsync(api.DataSource, source, $"e{i}", createdAt: at), at));
        }

        var (status, body, _) = await GetAsync(api.Server.Admin, $"/api/dlq?source={source}");

        Assert.Equal(HttpStatusCode.OK, status);
        var expected = seeded.OrderByDescending(s => s.At).ThenByDescending(s => s.Id.ToString(), StringComparer.Ordinal).Select(s => s.Id).ToList();
        Assert.Equal(expected, Ids(body));
        Assert.Equal(JsonValueKind.Null, body.GetProperty("nextCursor").ValueKind);
    }

    [Fact]
    public async Task List_ItemsCarryEveryField_WhenSeededThroughTheStore()
    {
        var source = UniqueSource();
        await api.Store.AddAsync([New(source, "evt_fields", "email.clicked", "cam_9", attempts: 6, reason: "enrollment not found after 6 attempts")], TestContext.Token);

        var (_, body, _) = await GetAsync(api.Server.Admin, $"/api/dlq?source={source}");

        var item = Assert.Single(body.GetProperty("items").EnumerateArray());
        Assert.Equal(source, item.GetProperty("source").GetString());
        Assert.Equal("evt_fields", item.GetProperty("eventId").GetString());
        Assert.Equal("email.clicked", item.GetProperty("type").GetString());
        Assert.Equal("cam_9", item.GetProperty("campaignId").GetString());
        Assert.Equal("failed", item.GetProperty("status").GetString());
        Assert.Equal("enrollment not found after 6 attempts", item.GetProperty("failureReason").GetString());
        Assert.Equal(6, item.GetProperty("attempts").GetInt32());
        Assert.Equal(0, item.GetProperty("replayCount").GetInt32());
        Assert.True(item.GetProperty("firstSeenAt").GetDateTimeOffset() < item.GetProperty("createdAt").GetDateTimeOffset());
        Assert.True(item.TryGetProperty("updatedAt", out _));
        Assert.Equal(JsonValueKind.Null, item.GetProperty("resolvedAt").ValueKind);
        Assert.False(item.TryGetProperty("payload", out _));
    }

    [Fact]
    public async Task List_AppliesEachFilter_AndTheirCombination()
    {
        var source = UniqueSource();
        var other = UniqueSource();
        var rows = new List<(Guid Id, string Source, string Type, string Status, DateTimeOffset At)>();
        string[] types = ["email.opened", "email.sent"];
        string[] statuses = ["failed", "replayed", "ignored", "replaying"];
        for (var i = 0; i < 24; i++)
        {
            var (s, t, st, at) = (i % 2 == 0 ? source : other, types[i / 2 % 2], statuses[i / 4 % 4], Base.AddHours(i));
            rows.Add((await InsertAsync(api.DataSource, s, $"f{i}", t, st, at), s, t, st, at));
        }

        var mine = rows.Where(r => r.Source == source || r.Source == other).ToList();
        async Task Check(string query, Func<(Guid Id, string Source, string Type, string Status, DateTimeOffset At), bool> expected)
        {
            var (status, body, _) = await GetAsync(api.Server.Admin, "/api/dlq?limit=200&" + query);
            Assert.True(status == HttpStatusCode.OK, $"{query}: {(int)status} {body}");
            var want = mine.Where(expected).OrderByDescending(r => r.At).Select(r => r.Id).ToList();
            // Other tests' rows share the table: compare only this test's rows, and check nothing else matched the unique sources.
            var got = Ids(body).Where(id => mine.Any(r => r.Id == id)).ToList();
            Assert.True(want.SequenceEqual(got), $"{query}: expected {want.Count}, got {got.Count}");
        }

        await Check($"source={source}", r => r.Source == source);
        await Check($"source={other}&status=replayed", r => r.Source == other && r.Status == "replayed");
        await Check($"source={source}&type=email.sent", r => r.Source == source && r.Type == "email.sent");
        await Check($"source={source}&status=failed&type=email.opened", r => r.Source == source && r.Status == "failed" && r.Type == "email.opened");
        await Check($"source={source}&from={Base.AddHours(4):O}".Replace("+", "%2B", StringComparison.Ordinal), r => r.Source == source && r.At >= Base.AddHours(4));
        await Check($"source={other}&to={Base.AddHours(9):yyyy-MM-ddTHH:mm:ssZ}", r => r.Source == other && r.At <= Base.AddHours(9));
        await Check(
            $"source={source}&type=email.opened&status=ignored&from={Base.AddHours(8):yyyy-MM-ddTHH:mm:ssZ}&to={Base.AddHours(14):yyyy-MM-ddTHH:mm:ssZ}",
            r => r.Source == source && r.Type == "email.opened" && r.Status == "ignored" && r.At >= Base.AddHours(8) && r.At <= Base.AddHours(14));
        await Check($"status=replaying&source={source}", r => r.Source == source && r.Status == "replaying");

        // Filters alone (no source) also narrow: every row returned satisfies them.
        foreach (var (query, predicate) in new (string, Func<JsonElement, bool>)[]
        {
            ("status=ignored", item => item.GetProperty("status").GetString() == "ignored"),
            ("type=email.sent", item => item.GetProperty("type").GetString() == "email.sent"),
            ($"from={Base.AddHours(20):yyyy-MM-dd}", item => item.GetProperty("createdAt").GetDateTimeOffset() >= new DateTimeOffset(Base.AddHours(20).Date, TimeSpan.Zero)),
        })
        {
            var (_, body, _) = await GetAsync(api.Server.Admin, "/api/dlq?limit=200&" + query);
            Assert.NotEmpty(body.GetProperty("items").EnumerateArray());
            Assert.All(body.GetProperty("items").EnumerateArray(), item => Assert.True(predicate(item), query));
        }
    }

    [Fact]
    public async Task List_PagingVisitsEveryRowOnce_WhenFollowingCursors()
    {
        var source = UniqueSource();
        var seeded = new List<Guid>();
        for (var i = 0; i < 103; i++)
        {
            // Many ties on created_at: pages must cut inside a group without losing or repeating rows.
            seeded.Add(await InsertAsync(api.DataSource, source, $"p{i}", createdAt: Base.AddSeconds(i / 10)));
        }

        var visited = new List<Guid>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var path = $"/api/dlq?source={source}&limit=7" + (cursor is null ? string.Empty : $"&cursor={cursor}");
            var (status, body, _) = await GetAsync(api.Server.Admin, path);
            Assert.Equal(HttpStatusCode.OK, status);
            var ids = Ids(body);
            Assert.True(ids.Count is > 0 and <= 7);
            visited.AddRange(ids);
            cursor = body.GetProperty("nextCursor").GetString();
            pages++;
        }
        while (cursor is not null && pages < 50);

        Assert.Equal(15, pages);
        Assert.Equal(visited.Count, visited.Distinct().Count());
        Assert.Equal(seeded.Order(), visited.Order());

        var (_, all, _) = await GetAsync(api.Server.Admin, $"/api/dlq?source={source}&limit=200");
        Assert.Equal(Ids(all), visited);
    }

    [Fact]
    public async Task List_Returns400_WhenCursorIsReusedWithOtherFilters()
    {
        var source = UniqueSource();
        for (var i = 0; i < 3; i++)
        {
            await InsertAsync(api.DataSource, source, $"c{i}", createdAt: Base.AddMinutes(i));
        }

        var (_, first, _) = await GetAsync(api.Server.Admin, $"/api/dlq?source={source}&limit=1");
        var cursor = first.GetProperty("nextCursor").GetString();
        Assert.NotNull(cursor);

        foreach (var query in new[] { $"source={source}&status=failed", "", $"source={source}x", $"source={source}&type=email.opened", $"source={source}&from=2020-01-01" })
        {
            var (status, body, response) = await GetAsync(api.Server.Admin, $"/api/dlq?{query}&cursor={cursor}");
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("urn:salesauto:problem:invalid-cursor", body.GetProperty("type").GetString());
            Assert.Contains("other filters", Detail(body), StringComparison.Ordinal);
        }

        // The same filters, with another limit, continue the list.
        var (ok, second, _) = await GetAsync(api.Server.Admin, $"/api/dlq?source={source}&limit=5&cursor={cursor}");
        Assert.Equal(HttpStatusCode.OK, ok);
        Assert.Equal(2, Ids(second).Count);
    }

    [Fact]
    public async Task List_Returns400_WhenCursorIsGarbage()
    {
        var source = UniqueSource();
        await InsertAsync(api.DataSource, source, "g0");
        await InsertAsync(api.DataSource, source, "g1");
        var (_, first, _) = await GetAsync(api.Server.Admin, $"/api/dlq?source={source}&limit=1");
        var valid = first.GetProperty("nextCursor").GetString()!;
        var bytes = Base64UrlDecode(valid);

        var wrongVersion = (byte[])bytes.Clone();
        wrongVersion[0] = 2;
        var farFuture = (byte[])bytes.Clone();
        Array.Fill(farFuture, (byte)0x7f, 1, 8);
        var farPast = (byte[])bytes.Clone();
        Array.Fill(farPast, (byte)0x80, 1, 8);
        var random = new byte[33];
        new Random(42).NextBytes(random);
        var cursors = new[]
        {
            Base64UrlEncode(random),
            Base64UrlEncode(random.AsSpan(0, 20).ToArray()),
            valid[..^3],
            valid + "AA",
            valid + "A",
            Base64UrlEncode(wrongVersion),
            Base64UrlEncode(farFuture),
            Base64UrlEncode(farPast),
            new string('A', 4_000),
            "!!!!",
            "%00",
            "é",
            Uri.EscapeDataString(Convert.ToBase64String(bytes)) + "==",
            Base64UrlEncode(Encoding.UTF8.GetBytes("""{"createdAt":"2026-01-01","id":"x"}""")),
            "",
        };

        foreach (var cursor in cursors)
        {
            var (status, body, _) = await GetAsync(api.Server.Admin, $"/api/dlq?source={source}&cursor={Uri.EscapeDataString(cursor)}");
            Assert.True(status == HttpStatusCode.BadRequest, $"cursor '{cursor[..Math.Min(cursor.Length, 50)]}': {(int)status} {body}");
            Assert.Equal("urn:salesauto:problem:invalid-cursor", body.GetProperty("type").GetString());
        }

        var (twice, twiceBody, _) = await GetAsync(api.Server.Admin, $"/api/dlq?source={source}&cursor={valid}&cursor={valid}");
        Assert.Equal(HttpStatusCode.BadRequest, twice);
        Assert.Contains("more than once", Detail(twiceBody), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("201")]
    [InlineData("abc")]
    [InlineData("-1")]
    [InlineData("+5")]
    [InlineData("1.5")]
    [InlineData("")]
    [InlineData("99999999999999999999")]
    [InlineData("5&limit=6")]
    public async Task List_Returns400_WhenLimitIsOutOfBounds(string limit)
    {
        var (status, body, _) = await GetAsync(api.Server.Admin, $"/api/dlq?limit={limit}");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("'limit'", Detail(body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_HonoursLimitBounds_AndDefaultsTo50()
    {
        var source = UniqueSource();
        for (var i = 0; i < 205; i++)
        {
            await InsertAsync(api.DataSource, source, $"l{i}", createdAt: Base.AddSeconds(i));
        }

        var (_, byDefault, _) = await GetAsync(api.Server.Admin, $"/api/dlq?source={source}");
        var (_, one, _) = await GetAsync(api.Server.Admin, $"/api/dlq?source={source}&limit=1");
        var (_, max, _) = await GetAsync(api.Server.Admin, $"/api/dlq?source={source}&limit=200");

        Assert.Equal(50, Ids(byDefault).Count);
        Assert.Single(Ids(one));
        Assert.Equal(200, Ids(max).Count);
        Assert.NotNull(max.GetProperty("nextCursor").GetString());
    }

    [Theory]
    [InlineData("status=FAILED", "'status'")]
    [InlineData("status=done", "'status'")]
    [InlineData("status=", "'status'")]
    [InlineData("status=failed&status=ignored", "'status'")]
    [InlineData("source=", "source")]
    [InlineData("type=%00", "type")]
    [InlineData("from=yesterday", "from")]
    [InlineData("from=2026-13-01", "from")]
    [InlineData("to=2026-01-01T10:00:00 02:00", "%2B")]
    [InlineData("from=2026-02-01&to=2026-01-01", "after")]
    [InlineData("from=01/02/2026", "from")]
    public async Task List_Returns400NamingTheFilter_WhenAFilterIsInvalid(string query, string named)
    {
        var (status, body, _) = await GetAsync(api.Server.Admin, $"/api/dlq?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("urn:salesauto:problem:invalid-request", body.GetProperty("type").GetString());
        Assert.Contains(named, Detail(body), StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(body.GetProperty("correlationId").GetString()));
    }

    [Fact]
    public async Task List_IgnoresUnknownQueryParameters()
    {
        var source = UniqueSource();
        var id = await InsertAsync(api.DataSource, source, "u0");

        var (status, body, _) = await GetAsync(api.Server.Admin, $"/api/dlq?source={source}&sort=asc&page=2&foo=%00&statuss=x");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal([id], Ids(body));
    }

    [Fact]
    public async Task List_NeverAnswers500_ForWeirdQueryStrings()
    {
        var queries = new[]
        {
            "limit=2147483648", "limit=%20", "limit=%EF%BC%95", "source=%F0%9F%98%80", "source=%ED%A0%80", "source=%FF%FE",
            "type=" + new string('x', 201), "type=" + new string('x', 200), "source=é&type=ü", "from=0001-01-01", "to=9999-12-31T23:59:59.9999999Z",
            "from=0001-01-01T00:00:00%2B01:00", "from=2026-01-01T25:00:00Z", "from=%00", "to=2026-02-30", "status=failed%00",
            "source=a%27%3B%20drop%20table%20dead_letters%3B--", "source[]=x", "=x", "&&&", "status", "cursor", "limit", "from=2026-01-01T10:00:00.12345678Z",
            "source=%0D%0AX-Injected:%201", "type=%E2%80%AE", "from=2026-01-01T10:00Z", string.Join('&', Enumerable.Repeat("source=a", 50)),
        };

        foreach (var query in queries)
        {
            using var response = await api.Server.Admin.GetAsync($"/api/dlq?{query}", TestContext.Token);
            Assert.True((int)response.StatusCode is 200 or 400, $"{query[..Math.Min(query.Length, 60)]}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(TestContext.Token)}");
            if (response.StatusCode == HttpStatusCode.BadRequest)
            {
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            }
        }

        // The longest valid source and type reach Postgres and simply match nothing.
        var (okStatus, okBody, _) = await GetAsync(api.Server.Admin, "/api/dlq?type=" + new string('x', 200));
        Assert.Equal(HttpStatusCode.OK, okStatus);
        Assert.Empty(Ids(okBody));
    }

    [Fact]
    public async Task List_Returns401_WithoutAKey()
    {
        using var response = await api.Server.Client.GetAsync("/api/dlq", TestContext.Token);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task List_AcceptsTheKeyAsCodeQueryParameter()
    {
        using var response = await api.Server.Client.GetAsync($"/api/dlq?code={RunningServer.AdminKey}&limit=1", TestContext.Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static string Base64UrlEncode(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] Base64UrlDecode(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded + new string('=', (4 - (padded.Length % 4)) % 4));
    }
}
