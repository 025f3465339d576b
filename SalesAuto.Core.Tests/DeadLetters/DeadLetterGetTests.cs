using System.Net;
using System.Text.Json;
using SalesAuto.Core.DeadLetters;
using SalesAuto.Core.Tests.Infrastructure;
using static SalesAuto.Core.Tests.DeadLetters.DeadLetterTestData;

namespace SalesAuto.Core.Tests.DeadLetters;

public sealed class DeadLetterGetTests(DeadLetterApi api) : IClassFixture<DeadLetterApi>
{
    [Fact]
    public async Task Get_ReturnsPayloadAsJsonAndHistoryOldestFirst()
    {
        var source = UniqueSource();
        await api.Store.AddAsync([New(source, "evt_get", "email.replied", "cam_7", attempts: 6, payload: """{"_id":"act_1","type":"emailsReplied","nested":{"list":[1,2,3]},"text":"héllo"}""")], TestContext.Token);
        var id = (await QueryAsync<Guid>(api.DataSource, "select id from dead_letters where source = @source", new { source })).Single();
        using var replayDetail = JsonDocument.Parse("""{"filter":{"source":"x"}}""");
        await api.Store.WriteAuditAsync("ops", DeadLetterAuditActions.Replay, [(id, "requeued")], replayDetail.RootElement, TestContext.Token);
        var (ignored, _) = await PostJsonAsync(api.Server.Admin, "/api/dlq/ignore", $$"""{"ids":["{{id}}"],"reason":"customer churned"}""");
        Assert.Equal(HttpStatusCode.OK, ignored);

        var (status, body, response) = await GetAsync(api.Server.Admin, $"/api/dlq/{id}");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        Assert.Equal(id, body.GetProperty("id").GetGuid());
        Assert.Equal("evt_get", body.GetProperty("eventId").GetString());
        Assert.Equal("email.replied", body.GetProperty("type").GetString());
        Assert.Equal("cam_7", body.GetProperty("campaignId").GetString());
        Assert.Equal("ignored", body.GetProperty("status").GetString());
        Assert.Equal("enrollment not found after 6 attempts", body.GetProperty("failureReason").GetString());
        Assert.Equal(6, body.GetProperty("attempts").GetInt32());
        Assert.NotEqual(JsonValueKind.Null, body.GetProperty("resolvedAt").ValueKind);
        var payload = body.GetProperty("payload");
        Assert.Equal(JsonValueKind.Object, payload.ValueKind);
        Assert.Equal("act_1", payload.GetProperty("_id").GetString());
        Assert.Equal(3, payload.GetProperty("nested").GetProperty("list").GetArrayLength());
        Assert.Equal("héllo", payload.GetProperty("text").GetString());

        var history = body.GetProperty("history").EnumerateArray().ToList();
        Assert.Equal(2, history.Count);
        Assert.Equal(("ops", "replay", "requeued"), (history[0].GetProperty("actor").GetString(), history[0].GetProperty("action").GetString(), history[0].GetProperty("outcome").GetString()));
        Assert.Equal("x", history[0].GetProperty("detail").GetProperty("filter").GetProperty("source").GetString());
        Assert.Equal(("tests", "ignore", "ignored"), (history[1].GetProperty("actor").GetString(), history[1].GetProperty("action").GetString(), history[1].GetProperty("outcome").GetString()));
        Assert.Equal("customer churned", history[1].GetProperty("detail").GetProperty("reason").GetString());
        Assert.True(history[0].GetProperty("at").GetDateTimeOffset() <= history[1].GetProperty("at").GetDateTimeOffset());
    }

    [Fact]
    public async Task Get_ReturnsEmptyHistory_WhenNothingWasDone()
    {
        var id = await InsertAsync(api.DataSource, UniqueSource(), "evt_quiet");

        var (status, body, _) = await GetAsync(api.Server.Admin, $"/api/dlq/{id.ToString().ToUpperInvariant()}");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(0, body.GetProperty("history").GetArrayLength());
        Assert.Equal("v", body.GetProperty("payload").GetProperty("k").GetString());
    }

    // The route is dlq/{id:guid}: what is no UUID at all matches no route (404, on both hosts,
    // since the Functions host applies the same constraint); a UUID in another notation reaches
    // the handler, which wants the canonical form.
    [Theory]
    [InlineData("abc")]
    [InlineData("123")]
    [InlineData("3f2b0c4e-8d1a-4e6b-9c2d-5a7e1f0b3c9")]
    [InlineData("3f2b0c4e-8d1a-4e6b-9c2d-5a7e1f0b3c9dd")]
    [InlineData("zzzzzzzz-8d1a-4e6b-9c2d-5a7e1f0b3c9d")]
    [InlineData("%C3%A9t%C3%A9")]
    [InlineData("%20")]
    public async Task Get_Returns404_WhenIdIsNoUuid(string id)
    {
        var (status, body, response) = await GetAsync(api.Server.Admin, $"/api/dlq/{id}");

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("No route matches", Detail(body), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("3f2b0c4e8d1a4e6b9c2d5a7e1f0b3c9d")]
    [InlineData("{3f2b0c4e-8d1a-4e6b-9c2d-5a7e1f0b3c9d}")]
    public async Task Get_Returns400_WhenIdIsAUuidInAnotherNotation(string id)
    {
        var (status, body, response) = await GetAsync(api.Server.Admin, $"/api/dlq/{id}");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("not a dead-letter id", Detail(body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_Returns404_WithAShortenedPath_WhenIdIsVeryLong()
    {
        var (status, body, _) = await GetAsync(api.Server.Admin, $"/api/dlq/{new string('a', 3000)}");

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.True(Detail(body).Length < 300, "the detail quotes a shortened path");
    }

    [Fact]
    public async Task Get_Returns404_WhenIdIsUnknown()
    {
        var (status, body, _) = await GetAsync(api.Server.Admin, $"/api/dlq/{Guid.NewGuid()}");

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("urn:salesauto:problem:not-found", body.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Get_Returns401_WithoutAKey()
    {
        using var response = await api.Server.Client.GetAsync($"/api/dlq/{Guid.NewGuid()}", TestContext.Token);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
