using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using SalesAuto.Core.Tests.Infrastructure;
using static SalesAuto.Core.Tests.DeadLetters.DeadLetterTestData;

namespace SalesAuto.Core.Tests.DeadLetters;

public sealed class DeadLetterIgnoreTests(DeadLetterApi api) : IClassFixture<DeadLetterApi>
{
    [Fact]
    public async Task Ignore_ReturnsAResultPerId_AndChangesOnlyFailedOnes()
    {
        var source = UniqueSource();
        var failed = await InsertAsync(api.DataSource, source, "i_failed");
        var ignored = await InsertAsync(api.DataSource, source, "i_ignored", status: "ignored", resolvedAt: DateTimeOffset.UtcNow.AddDays(-1));
        var replaying = await InsertAsync(api.DataSource, source, "i_replaying", status: "replaying");
        var replayed = await InsertAsync(api.DataSource, source, "i_replayed", status: "replayed");
        var unknown = Guid.NewGuid();
        var ids = new[] { replayed, failed, unknown, ignored, replaying };

        var (status, body) = await PostJsonAsync(api.Server.Admin, "/api/dlq/ignore", JsonSerializer.Serialize(new { ids }));

        Assert.Equal(HttpStatusCode.OK, status);
        var results = body.GetProperty("results").EnumerateArray().Select(r => (r.GetProperty("id").GetGuid(), r.GetProperty("result").GetString())).ToList();
        Assert.Equal(
            [(replayed, "not_ignorable"), (failed, "ignored"), (unknown, "not_found"), (ignored, "already_ignored"), (replaying, "not_ignorable")],
            results);

        var rows = (await QueryAsync<(Guid Id, string Status, DateTime? ResolvedAt)>(api.DataSource, "select id, status, resolved_at from dead_letters where source = @source", new { source }))
            .ToDictionary(r => r.Id);
        Assert.Equal("ignored", rows[failed].Status);
        Assert.True(rows[failed].ResolvedAt > DateTime.UtcNow.AddMinutes(-5));
        Assert.Equal("ignored", rows[ignored].Status);
        Assert.True(rows[ignored].ResolvedAt < DateTime.UtcNow.AddHours(-20), "an already ignored row keeps its resolved_at");
        Assert.Equal("replaying", rows[replaying].Status);
        Assert.Null(rows[replaying].ResolvedAt);
        Assert.Equal("replayed", rows[replayed].Status);
    }

    [Fact]
    public async Task Ignore_WritesOneAuditRowPerId_WithTheKeysNameAndReason()
    {
        var source = UniqueSource();
        var failed = await InsertAsync(api.DataSource, source, "a_failed");
        var replayed = await InsertAsync(api.DataSource, source, "a_replayed", status: "replayed");
        var unknown = Guid.NewGuid();

        var (status, _) = await PostJsonAsync(api.Server.Admin, "/api/dlq/ignore", JsonSerializer.Serialize(new { ids = new[] { failed, replayed, unknown }, reason = "test data" }));

        Assert.Equal(HttpStatusCode.OK, status);
        var audit = await QueryAsync<(Guid Id, string Actor, string Action, string Outcome, string Detail)>(
            api.DataSource,
            "select dead_letter_id, actor, action, outcome, detail::text from audit_log where dead_letter_id = any(@ids) order by id",
            new { ids = new[] { failed, replayed, unknown } });
        Assert.Equal(
            [(failed, "tests", "ignore", "ignored"), (replayed, "tests", "ignore", "not_ignorable"), (unknown, "tests", "ignore", "not_found")],
            audit.Select(a => (a.Id, a.Actor, a.Action, a.Outcome)));
        Assert.All(audit, a => Assert.Equal("test data", JsonDocument.Parse(a.Detail).RootElement.GetProperty("reason").GetString()));
    }

    [Fact]
    public async Task Ignore_IsIdempotent_WhenRepeated()
    {
        var id = await InsertAsync(api.DataSource, UniqueSource(), "twice");
        var body = JsonSerializer.Serialize(new { ids = new[] { id } });

        var (_, first) = await PostJsonAsync(api.Server.Admin, "/api/dlq/ignore", body);
        var (_, second) = await PostJsonAsync(api.Server.Admin, "/api/dlq/ignore", body);

        Assert.Equal("ignored", first.GetProperty("results")[0].GetProperty("result").GetString());
        Assert.Equal("already_ignored", second.GetProperty("results")[0].GetProperty("result").GetString());
        Assert.Equal(2L, await ScalarAsync<long>(api.DataSource, "select count(*) from audit_log where dead_letter_id = @id", new { id }));
    }

    [Fact]
    public async Task Ignore_AppliesOnce_WhenTheSameIdsAreIgnoredConcurrently()
    {
        var source = UniqueSource();
        var ids = new List<Guid>();
        for (var i = 0; i < 20; i++)
        {
            ids.Add(await InsertAsync(api.DataSource, source, $"conc{i}"));
        }

        // Opposite orders: the store locks in id order, so these cannot deadlock.
        var forward = JsonSerializer.Serialize(new { ids });
        var backward = JsonSerializer.Serialize(new { ids = Enumerable.Reverse(ids) });
        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => PostJsonAsync(api.Server.Admin, "/api/dlq/ignore", i % 2 == 0 ? forward : backward)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.Status));
        var ignoredResults = responses.SelectMany(r => r.Body.GetProperty("results").EnumerateArray())
            .Where(r => r.GetProperty("result").GetString() == "ignored")
            .Select(r => r.GetProperty("id").GetGuid())
            .ToList();
        Assert.Equal(ids.Order(), ignoredResults.Order());
    }

    [Fact]
    public async Task Ignore_FoldsDuplicateIds_KeepingFirstOrder()
    {
        var source = UniqueSource();
        var a = await InsertAsync(api.DataSource, source, "dup_a");
        var b = await InsertAsync(api.DataSource, source, "dup_b");

        var (status, body) = await PostJsonAsync(api.Server.Admin, "/api/dlq/ignore", $$"""{"ids":["{{b}}","{{a}}","{{b}}","{{a.ToString().ToUpperInvariant()}}"]}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal([b, a], body.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("id").GetGuid()));
        Assert.Equal(2L, await ScalarAsync<long>(api.DataSource, "select count(*) from audit_log where dead_letter_id = any(@ids)", new { ids = new[] { a, b } }));
    }

    [Fact]
    public async Task Ignore_Accepts100Ids_AndRefuses101()
    {
        var hundred = JsonSerializer.Serialize(new { ids = Enumerable.Range(0, 100).Select(_ => Guid.NewGuid()) });
        var hundredAndOne = JsonSerializer.Serialize(new { ids = Enumerable.Range(0, 101).Select(_ => Guid.NewGuid()) });

        var (ok, okBody) = await PostJsonAsync(api.Server.Admin, "/api/dlq/ignore", hundred);
        var (tooMany, tooManyBody) = await PostJsonAsync(api.Server.Admin, "/api/dlq/ignore", hundredAndOne);

        Assert.Equal(HttpStatusCode.OK, ok);
        Assert.Equal(100, okBody.GetProperty("results").GetArrayLength());
        Assert.All(okBody.GetProperty("results").EnumerateArray(), r => Assert.Equal("not_found", r.GetProperty("result").GetString()));
        Assert.Equal(HttpStatusCode.BadRequest, tooMany);
        Assert.Contains("101", Detail(tooManyBody), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"ids":[]}""", "1 to 100")]
    [InlineData("""{}""", "ids is required")]
    [InlineData("""{"ids":null}""", "it is null")]
    [InlineData("""{"ids":"3f2b0c4e-8d1a-4e6b-9c2d-5a7e1f0b3c9d"}""", "it is a string")]
    [InlineData("""{"ids":{"0":"3f2b0c4e-8d1a-4e6b-9c2d-5a7e1f0b3c9d"}}""", "it is an object")]
    [InlineData("""{"ids":["3f2b0c4e-8d1a-4e6b-9c2d-5a7e1f0b3c9d"],"reason":42}""", "reason")]
    [InlineData("""{"ids":["3f2b0c4e-8d1a-4e6b-9c2d-5a7e1f0b3c9d"],"reason":""}""", "reason")]
    [InlineData("""{"ids":["3f2b0c4e-8d1a-4e6b-9c2d-5a7e1f0b3c9d"],"reason":"a\u0000b"}""", "reason")]
    [InlineData("""{"ids":["3f2b0c4e-8d1a-4e6b-9c2d-5a7e1f0b3c9d"],"reason":"\ud800"}""", "reason")]
    [InlineData("""{"ids":["3f2b0c4e-8d1a-4e6b-9c2d-5a7e1f0b3c9d"],"filter":{}}""", "'filter'")]
    [InlineData("""{"Ids":["3f2b0c4e-8d1a-4e6b-9c2d-5a7e1f0b3c9d"]}""", "'Ids'")]
    public async Task Ignore_Returns400NamingTheProblem_WhenTheBodyIsInvalid(string json, string named)
    {
        var (status, body) = await PostJsonAsync(api.Server.Admin, "/api/dlq/ignore", json);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("urn:salesauto:problem:invalid-request", body.GetProperty("type").GetString());
        Assert.Contains(named, Detail(body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ignore_Returns400NamingEachBadEntryByIndexAndValue()
    {
        var good = Guid.NewGuid();
        var longValue = new string('x', 500);
        var json = $$"""{"ids":["{{good}}","not-a-uuid",42,null,"{{longValue}}","{{good:N}}",{"id":"x"},"\ud800"]}""";

        var (status, body) = await PostJsonAsync(api.Server.Admin, "/api/dlq/ignore", json);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        var detail = Detail(body);
        Assert.Contains("ids[1] 'not-a-uuid'", detail, StringComparison.Ordinal);
        Assert.Contains("ids[2] 42 is a number", detail, StringComparison.Ordinal);
        Assert.Contains("ids[3] null", detail, StringComparison.Ordinal);
        Assert.Contains("ids[4] 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…'", detail, StringComparison.Ordinal);
        Assert.Contains($"ids[5] '{good:N}'", detail, StringComparison.Ordinal);
        Assert.Contains("ids[6]", detail, StringComparison.Ordinal);
        Assert.Contains("ids[7]", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("ids[0]", detail, StringComparison.Ordinal);
        Assert.DoesNotContain(longValue, detail, StringComparison.Ordinal);
        Assert.Equal([1, 2, 3, 4, 5, 6, 7], body.GetProperty("invalid").EnumerateArray().Select(e => e.GetProperty("index").GetInt32()));
        // The member carries what was sent, with no quotes of its own: "not-a-uuid", not "'not-a-uuid'".
        Assert.Equal(
            ["not-a-uuid", "42", "null", $"{good:N}"],
            body.GetProperty("invalid").EnumerateArray().Where(e => e.GetProperty("index").GetInt32() is 1 or 2 or 3 or 5).Select(e => e.GetProperty("value").GetString()));
        Assert.StartsWith("7 of 8 ids are not UUIDs (a UUID looks like ", detail, StringComparison.Ordinal);
        Assert.Equal(0L, await ScalarAsync<long>(api.DataSource, "select count(*) from audit_log where dead_letter_id = @good", new { good }));
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData(null)]
    public async Task Ignore_Returns415_WhenTheBodyIsNotJson(string? contentType)
    {
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes($$"""{"ids":["{{Guid.NewGuid()}}"]}"""));
        if (contentType is not null)
        {
            content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        }

        using var response = await api.Server.Admin.PostAsync("/api/dlq/ignore", content, TestContext.Token);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("urn:salesauto:problem:unsupported-media-type", (await ReadJsonAsync(response)).GetProperty("type").GetString());
    }

    [Theory]
    [InlineData("""{"ids":[""", "not valid JSON")]
    [InlineData("""{"ids":["a",]}""", "not valid JSON")]
    [InlineData("not json", "not valid JSON")]
    [InlineData("""["3f2b0c4e-8d1a-4e6b-9c2d-5a7e1f0b3c9d"]""", "an array")]
    [InlineData("\"ids\"", "a string")]
    [InlineData("", "empty")]
    [InlineData("""{"ids":[]} {"ids":[]}""", "not valid JSON")]
    public async Task Ignore_Returns400MalformedJson_WhenTheBodyIsNotAJsonObject(string json, string named)
    {
        var (status, body) = await PostJsonAsync(api.Server.Admin, "/api/dlq/ignore", json);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("urn:salesauto:problem:malformed-json", body.GetProperty("type").GetString());
        Assert.Contains(named, Detail(body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ignore_Returns400_WhenTheBodyIsNestedTooDeeply()
    {
        var json = $$"""{"ids":["{{Guid.NewGuid()}}"],"reason":{{new string('[', 100)}}{{new string(']', 100)}}}""";

        var (status, body) = await PostJsonAsync(api.Server.Admin, "/api/dlq/ignore", json);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("urn:salesauto:problem:malformed-json", body.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Ignore_Returns413_WhenTheBodyExceeds64KiB()
    {
        var padding = new string(' ', 70 * 1024);
        var (declared, declaredBody) = await PostJsonAsync(api.Server.Admin, "/api/dlq/ignore", $$"""{"ids":["{{Guid.NewGuid()}}"]}{{padding}}""");

        // Chunked, without a Content-Length: the limit is enforced while reading.
        using var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes($$"""{"ids":["{{Guid.NewGuid()}}"]}{{padding}}""")));
        chunked.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/dlq/ignore") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        using var response = await api.Server.Admin.SendAsync(request, TestContext.Token);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, declared);
        Assert.Equal("urn:salesauto:problem:body-too-large", declaredBody.GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Ignore_Returns401_WithoutAKey()
    {
        using var response = await api.Server.Client.PostAsync("/api/dlq/ignore", RunningServer.Json($$"""{"ids":["{{Guid.NewGuid()}}"]}"""), TestContext.Token);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
