using System.Text.Json;
using Microsoft.AspNetCore.Http;
using SalesAuto.Core.Enrollments;
using SalesAuto.Core.Events;
using SalesAuto.Core.RetryQueue;
using SalesAuto.Core.Tests.Infrastructure;
using SalesAuto.Core.Webhooks;
using StackExchange.Redis;

namespace SalesAuto.Core.Tests.Webhooks;

/// <summary>The ingest use case called with typed input, on real Postgres and Redis (no HTTP).</summary>
public sealed class WebhookIntakeTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private WebhookIntake Intake => fixture.Server.Services.GetRequiredService<WebhookIntake>();

    private EnrollmentService Enrollments => fixture.Server.Services.GetRequiredService<EnrollmentService>();

    [Fact]
    public async Task IngestAsync_ReturnsOrphanedAndParksTheItemInRedis_WhenNoEnrollmentExists()
    {
        var evt = Event(NewId("cam"), "nobody@example.com");

        var outcome = await Intake.IngestAsync(IntakeRequest.FromWebhook("lemlist", [evt], []), TestContext.Token);

        var taken = Assert.IsType<IntakeOutcome.Taken>(outcome);
        Assert.Equal([EventOutcome.Orphan], taken.Outcomes);
        Assert.Equal(1, taken.Orphaned);
        var redis = fixture.Server.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        var keys = new RetryQueueKeys(fixture.KeyPrefix);
        var id = new OrphanItem(evt, 0, DateTimeOffset.UtcNow).Id;
        Assert.NotNull(await redis.SortedSetScoreAsync(keys.Due, id));
        Assert.True(await redis.HashExistsAsync(keys.Items, id), "the parked item's body is not in the items hash");
        await using var count = fixture.Schema.DataSource.CreateCommand("select count(*) from campaign_events where event_id = @id");
        count.Parameters.AddWithValue("id", evt.EventId);
        Assert.Equal(0L, await count.ExecuteScalarAsync(TestContext.Token));
    }

    [Fact]
    public async Task IngestAsync_ReturnsAppliedThenDuplicate_WhenTheSameEventIsDeliveredTwice()
    {
        var campaign = NewId("cam");
        var enrolled = await Enrollments.UpsertAsync(new EnrollmentRequest(campaign, "ann@example.com", null, null), TestContext.Token);
        Assert.IsType<EnrollmentOutcome.Upserted>(enrolled);
        var evt = Event(campaign, "ann@example.com");

        var first = Assert.IsType<IntakeOutcome.Taken>(await Intake.IngestAsync(IntakeRequest.FromWebhook("lemlist", [evt], []), TestContext.Token));
        var second = Assert.IsType<IntakeOutcome.Taken>(await Intake.IngestAsync(IntakeRequest.FromWebhook("lemlist", [evt], []), TestContext.Token));

        Assert.Equal([EventOutcome.Applied], first.Outcomes);
        Assert.Equal([EventOutcome.Duplicate], second.Outcomes);
        var stats = Assert.IsType<CampaignStatsOutcome.Found>(await Enrollments.GetCampaignStatsAsync(campaign, TestContext.Token));
        Assert.Equal(1L, stats.Stats.Events["email.opened"]);
    }

    [Fact]
    public async Task IngestAsync_KeepsTheReplayedDeadLetterOnTheParkedItem_WhenCalledAsTheReplayWould()
    {
        var evt = Event(NewId("cam"), "later@example.com");
        var deadLetter = Guid.NewGuid();
        var firstSeen = DateTimeOffset.UtcNow.AddDays(-3);
        var request = new IntakeRequest("lemlist", "replay-test", [new IntakeEvent(evt, firstSeen, deadLetter)], []);

        var outcome = Assert.IsType<IntakeOutcome.Taken>(await Intake.IngestAsync(request, TestContext.Token));

        Assert.Equal([EventOutcome.Orphan], outcome.Outcomes);
        var claim = await fixture.Server.Services.GetRequiredService<IRetryQueue>().PromoteAndClaimAsync([evt.LookupKey], 10, TestContext.Token);
        var item = Assert.Single(claim.Items).Item;
        Assert.Equal(deadLetter, item.ReplayOf);
        Assert.Equal(firstSeen.ToUnixTimeMilliseconds(), item.FirstSeenAt.ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task ToResult_Is200WithTheCounts_WhenEveryEventIsTaken()
    {
        var outcome = new IntakeOutcome.Taken([EventOutcome.Applied, EventOutcome.Duplicate, EventOutcome.Orphan, EventOutcome.Orphan, EventOutcome.Suppressed]);

        var (status, _, body) = await ExecuteAsync(WebhookEndpoints.ToResult(outcome));

        Assert.Equal(StatusCodes.Status200OK, status);
        Assert.Equal("""{"received":5,"applied":1,"duplicates":1,"orphaned":2,"suppressed":1}""", body);
    }

    internal static CanonicalEvent Event(string campaign, string email) =>
        new("lemlist", NewId("act"), "email.opened", DateTimeOffset.UtcNow, campaign, email, null, """{"type":"emailsOpened"}""");

    internal static async Task<(int Status, string? RetryAfter, string Body)> ExecuteAsync(IResult result)
    {
        var context = new DefaultHttpContext { RequestServices = new ServiceCollection().AddLogging().BuildServiceProvider() };
        using var body = new MemoryStream();
        context.Response.Body = body;
        await result.ExecuteAsync(context);
        return (context.Response.StatusCode, context.Response.Headers.RetryAfter.ToString() is { Length: > 0 } retryAfter ? retryAfter : null, System.Text.Encoding.UTF8.GetString(body.ToArray()).Trim());
    }

    private static string NewId(string stem) => $"{stem}_{Guid.NewGuid():N}";
}

/// <summary>A retry queue that holds one item, so a delivery with two orphans fills it.</summary>
public sealed class TinyQueueFixture : ServerFixture
{
    protected override void Configure(IDictionary<string, string?> settings) => settings["RetryQueue:MaxLength"] = "1";
}

/// <summary>The intake's refusal when the retry queue is full, and the 503 its adapter answers.</summary>
public sealed class WebhookIntakeQueueFullTests(TinyQueueFixture fixture) : IClassFixture<TinyQueueFixture>
{
    [Fact]
    public async Task IngestAsync_ReturnsQueueFull_AndTheAdapterAnswers503WithRetryAfter_WhenTheQueueCannotTakeEveryOrphan()
    {
        var intake = fixture.Server.Services.GetRequiredService<WebhookIntake>();
        var campaign = $"cam_{Guid.NewGuid():N}";
        var request = IntakeRequest.FromWebhook("lemlist", [WebhookIntakeTests.Event(campaign, "a@example.com"), WebhookIntakeTests.Event(campaign, "b@example.com")], []);

        var outcome = await intake.IngestAsync(request, TestContext.Token);
        var (status, retryAfter, body) = await WebhookIntakeTests.ExecuteAsync(WebhookEndpoints.ToResult(outcome));

        var full = Assert.IsType<IntakeOutcome.QueueFull>(outcome);
        Assert.Equal(2, full.Failed);
        Assert.Equal(1, full.Refused);
        Assert.Equal(StatusCodes.Status503ServiceUnavailable, status);
        Assert.Equal("60", retryAfter);
        using var problem = JsonDocument.Parse(body);
        Assert.Equal(
            "The retry queue is full (RetryQueue:MaxLength); 1 events whose enrollment does not exist yet were not parked. Deliver again later.",
            problem.RootElement.GetProperty("detail").GetString());
    }
}
