using System.Net;
using System.Text.Json;
using SalesAuto.Core.DeadLetters;
using SalesAuto.Core.Events;
using SalesAuto.Core.RetryQueue;
using SalesAuto.Core.Tests.Infrastructure;
using SalesAuto.Core.Tests.RetryQueue;
using static SalesAuto.Core.Tests.DeadLetters.DeadLetterTestData;

namespace SalesAuto.Core.Tests.DeadLetters;

public sealed class DeadLetterReplayTests(FastRetryFixture fixture) : IClassFixture<FastRetryFixture>
{
    private RunningServer Server => fixture.Server;

    private IDeadLetterStore Store => Server.Services.GetRequiredService<IDeadLetterStore>();

    [Fact]
    public async Task Replay_AppliesTheEvent_AndMarksItReplayed_WhenTheEnrollmentNowExists()
    {
        var (id, campaign, email) = await DeadLetterAsync();
        await EnrollAsync(campaign, email);

        var (status, body) = await PostJsonAsync(Server.Admin, "/api/dlq/replay", JsonSerializer.Serialize(new { ids = new[] { id } }));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal([(id, "replayed")], Results(body));
        Assert.Equal("replayed", await StatusAsync(id));
        Assert.Equal(1L, await ScalarAsync<long>(fixture.Schema.DataSource, "select count(*) from campaign_events where campaign_id = @campaign", new { campaign }));
        var (_, detail, response) = await GetAsync(Server.Admin, $"/api/dlq/{id}");
        response.Dispose();
        var history = detail.GetProperty("history").EnumerateArray().ToList();
        Assert.Contains(history, h => h.GetProperty("action").GetString() == "replay" && h.GetProperty("actor").GetString() == "tests" && h.GetProperty("outcome").GetString() == "replayed");
    }

    [Fact]
    public async Task Replay_Requeues_WithFreshAttempts_AndEndsReplayed_WhenTheEnrollmentArrivesLater()
    {
        var (id, campaign, email) = await DeadLetterAsync();

        var (_, body) = await PostJsonAsync(Server.Admin, "/api/dlq/replay", JsonSerializer.Serialize(new { ids = new[] { id } }));

        Assert.Equal([(id, "requeued")], Results(body));
        Assert.Equal("replaying", await StatusAsync(id));
        await EnrollAsync(campaign, email);
        await RunCyclesUntilAsync(async () => await StatusAsync(id) == "replayed");
        Assert.Equal("replayed", await StatusAsync(id));
        Assert.Equal(1L, await ScalarAsync<long>(fixture.Schema.DataSource, "select count(*) from campaign_events where campaign_id = @campaign", new { campaign }));
    }

    [Fact]
    public async Task Replay_EndsFailedAgain_AfterFreshAttemptsRunOut()
    {
        var (id, _, _) = await DeadLetterAsync(attempts: 6);

        var (_, body) = await PostJsonAsync(Server.Admin, "/api/dlq/replay", JsonSerializer.Serialize(new { ids = new[] { id } }));
        Assert.Equal([(id, "requeued")], Results(body));
        await RunCyclesUntilAsync(async () => await StatusAsync(id) == "failed");

        Assert.Equal("failed", await StatusAsync(id));
        // The fixture's MaxAttempts is 3: the replay's fresh attempts, not the original 6.
        Assert.Equal(3, await ScalarAsync<int>(fixture.Schema.DataSource, "select attempts from dead_letters where id = @id", new { id }));
        Assert.Equal(1, await ScalarAsync<int>(fixture.Schema.DataSource, "select replay_count from dead_letters where id = @id", new { id }));
    }

    [Fact]
    public async Task TwoConcurrentReplays_OfTheSameDeadLetter_ApplyItOnce()
    {
        var (id, campaign, email) = await DeadLetterAsync();
        await EnrollAsync(campaign, email);
        var json = JsonSerializer.Serialize(new { ids = new[] { id } });

        var responses = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => PostJsonAsync(Server.Admin, "/api/dlq/replay", json)));

        var results = responses.Select(r => Results(r.Body).Single().Result).ToList();
        Assert.Equal(1, results.Count(r => r == "replayed"));
        Assert.All(results.Where(r => r != "replayed"), r => Assert.Contains(r, new[] { "already_replaying", "already_replayed" }));
        Assert.Equal(1L, await ScalarAsync<long>(fixture.Schema.DataSource, "select count(*) from campaign_events where campaign_id = @campaign", new { campaign }));
    }

    [Fact]
    public async Task Replay_SkipsIgnoredDeadLetters_UnlessAskedTo()
    {
        var (id, campaign, email) = await DeadLetterAsync();
        await EnrollAsync(campaign, email);
        await PostJsonAsync(Server.Admin, "/api/dlq/ignore", JsonSerializer.Serialize(new { ids = new[] { id } }));

        var (_, skipped) = await PostJsonAsync(Server.Admin, "/api/dlq/replay", JsonSerializer.Serialize(new { ids = new[] { id } }));
        var (_, included) = await PostJsonAsync(Server.Admin, "/api/dlq/replay", JsonSerializer.Serialize(new { ids = new[] { id }, includeIgnored = true }));
        var (_, again) = await PostJsonAsync(Server.Admin, "/api/dlq/replay", JsonSerializer.Serialize(new { ids = new[] { id }, includeIgnored = true }));

        Assert.Equal([(id, "ignored_skipped")], Results(skipped));
        Assert.Equal([(id, "replayed")], Results(included));
        Assert.Equal([(id, "already_replayed")], Results(again));
    }

    [Fact]
    public async Task Replay_ReportsNotFound_AndFoldsDuplicateIds()
    {
        var (id, campaign, email) = await DeadLetterAsync();
        await EnrollAsync(campaign, email);
        var unknown = Guid.NewGuid();

        var (_, body) = await PostJsonAsync(Server.Admin, "/api/dlq/replay", JsonSerializer.Serialize(new { ids = new[] { id, unknown, id } }));

        Assert.Equal([(id, "replayed"), (unknown, "not_found")], Results(body));
    }

    [Fact]
    public async Task ReplayByFilter_DryRunOnlyCounts_ThenReplaysUpToMax()
    {
        var source = UniqueSource();
        var ids = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await DeadLetterAsync(source: source)).Id);
        }

        var (dryStatus, dry) = await PostJsonAsync(Server.Admin, "/api/dlq/replay", JsonSerializer.Serialize(new { filter = new { source }, dryRun = true }));
        Assert.Equal(HttpStatusCode.OK, dryStatus);
        Assert.Equal(5, dry.GetProperty("matched").GetInt32());
        Assert.Empty(dry.GetProperty("results").EnumerateArray());
        Assert.All(ids, id => Assert.Equal("failed", StatusAsync(id).GetAwaiter().GetResult()));

        var (_, real) = await PostJsonAsync(Server.Admin, "/api/dlq/replay", JsonSerializer.Serialize(new { filter = new { source }, max = 3 }));

        Assert.Equal(3, real.GetProperty("results").GetArrayLength());
        Assert.All(Results(real), r => Assert.Equal("requeued", r.Result));
        Assert.Equal(2L, await ScalarAsync<long>(fixture.Schema.DataSource, "select count(*) from dead_letters where source = @source and status = 'failed'", new { source }));
    }

    [Theory]
    [InlineData("""{"ids":["3f2b0c4e-8d1a-4e6b-9c2d-5a7e1f0b3c9d"],"filter":{}}""", "not both")]
    [InlineData("""{}""", "not both")]
    [InlineData("""{"filter":{},"max":10001}""", "'max'")]
    [InlineData("""{"filter":{},"max":0}""", "'max'")]
    [InlineData("""{"ids":["3f2b0c4e-8d1a-4e6b-9c2d-5a7e1f0b3c9d"],"dryRun":true}""", "'dryRun'")]
    [InlineData("""{"ids":["not-a-uuid"]}""", "not-a-uuid")]
    [InlineData("""{"ids":[]}""", "ids")]
    [InlineData("""{"filter":{"status":"exploded"}}""", "status")]
    [InlineData("""{"filter":{},"dryRun":"yes"}""", "'dryRun'")]
    [InlineData("""{"idz":["3f2b0c4e-8d1a-4e6b-9c2d-5a7e1f0b3c9d"]}""", "idz")]
    public async Task Replay_Is400NamingTheProblem_WhenTheRequestIsInvalid(string json, string named)
    {
        var (status, body) = await PostJsonAsync(Server.Admin, "/api/dlq/replay", json);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(named, Detail(body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_Is400_ForMoreThan100Ids()
    {
        var json = JsonSerializer.Serialize(new { ids = Enumerable.Range(0, 101).Select(_ => Guid.NewGuid()) });

        var (status, _) = await PostJsonAsync(Server.Admin, "/api/dlq/replay", json);

        Assert.Equal(HttpStatusCode.BadRequest, status);
    }

    private async Task<(Guid Id, string Campaign, string Email)> DeadLetterAsync(int attempts = 6, string source = "lemlist")
    {
        var campaign = $"cam_{Guid.NewGuid():N}";
        var email = $"dl{Guid.NewGuid():N}@example.com";
        var evt = new CanonicalEvent(source, $"act_{Guid.NewGuid():N}", "email.opened", DateTimeOffset.UtcNow, campaign, email, null, """{"n":1}""");
        await Store.AddAsync([new NewDeadLetter(evt, attempts, DateTimeOffset.UtcNow.AddHours(-2), $"enrollment not found after {attempts} attempts")], TestContext.Token);
        var id = await ScalarAsync<Guid>(fixture.Schema.DataSource, "select id from dead_letters where source = @source and event_id = @eventId", new { source, eventId = evt.EventId });
        return (id, campaign, email);
    }

    private async Task EnrollAsync(string campaign, string email)
    {
        using var response = await Server.Admin.PostAsync("/api/enrollments", RunningServer.Json($$"""{"campaignId":"{{campaign}}","email":"{{email}}"}"""), TestContext.Token);
        response.EnsureSuccessStatusCode();
    }

    private Task<string> StatusAsync(Guid id) => ScalarAsync<string>(fixture.Schema.DataSource, "select status from dead_letters where id = @id", new { id });

    private async Task RunCyclesUntilAsync(Func<Task<bool>> done)
    {
        var cycle = Server.Services.GetRequiredService<RetryCycle>();
        var deadline = DateTimeOffset.UtcNow.AddSeconds(20);
        while (DateTimeOffset.UtcNow < deadline && !await done())
        {
            await cycle.RunAsync(TestContext.Token);
            await Task.Delay(50, TestContext.Token);
        }
    }

    private static List<(Guid Id, string Result)> Results(JsonElement body) =>
        body.GetProperty("results").EnumerateArray().Select(r => (r.GetProperty("id").GetGuid(), r.GetProperty("result").GetString()!)).ToList();
}
