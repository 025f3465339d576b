using System.Net;
using System.Text.Json;
using SalesAuto.Core.Observability;
using SalesAuto.Core.Tests.Infrastructure;
using static SalesAuto.Core.Tests.DeadLetters.DeadLetterTestData;

namespace SalesAuto.Core.Tests.Console;

/// <summary><c>GET /api/queue</c>: the overview's depth, last cycle and last hour, behind the admin key.</summary>
public sealed class QueueStatusTests(WebhookServerFixture fixture) : IClassFixture<WebhookServerFixture>
{
    private RunningServer Server => fixture.Server;

    [Fact]
    public async Task QueueStatus_Answers401_WithoutAKey()
    {
        using var response = await Server.Client.GetAsync("/api/queue", TestContext.Token);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task QueueStatus_CountsParkedOrphans_AndHasTheCurrentSample_TheMomentItIsAsked()
    {
        var campaign = $"cam_{Guid.NewGuid():N}";
        for (var i = 0; i < 3; i++)
        {
            var activity = JsonSerializer.Serialize(new { _id = $"act_{Guid.NewGuid():N}", type = "emailsOpened", campaignId = campaign, leadEmail = $"q{i}@example.com", createdAt = DateTimeOffset.UtcNow });
            using var posted = await Server.Client.PostAsync($"/api/webhooks/lemlist?token={WebhookServerFixture.LemlistToken}", RunningServer.Json(activity), TestContext.Token);
            Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        }

        // The refresher keeps a reading up to MaxAge: force a fresh one, as a cycle would.
        await Server.Services.GetRequiredService<MetricsRefresher>().RefreshAsync(TestContext.Token);
        var (status, body, response) = await GetAsync(Server.Admin, "/api/queue");
        response.Dispose();

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(3, body.GetProperty("depth").GetProperty("due").GetInt64());
        Assert.Equal(0, body.GetProperty("depth").GetProperty("leased").GetInt64());
        Assert.True(body.GetProperty("depth").GetProperty("oldestDueAgeSeconds").GetDouble() >= 0);
        Assert.Equal(0, body.GetProperty("unresolvedDeadLetters").GetInt64());
        var history = body.GetProperty("history");
        Assert.Equal(30, history.GetProperty("intervalSeconds").GetInt32());
        Assert.Equal(3600, history.GetProperty("spanSeconds").GetInt32());
        var last = history.GetProperty("samples").EnumerateArray().Last();
        Assert.Equal(3, last.GetProperty("due").GetInt64());
        Assert.Equal(body.GetProperty("sampledAt").GetDateTimeOffset(), last.GetProperty("at").GetDateTimeOffset());
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task QueueStatus_ReportsTheLastCompletedCycle()
    {
        await Server.Services.GetRequiredService<CycleMonitor>().RecordCompletedAsync(TestContext.Token);

        var (_, body, response) = await GetAsync(Server.Admin, "/api/queue");
        response.Dispose();

        var at = body.GetProperty("lastCompletedCycleAt").GetDateTimeOffset();
        Assert.InRange(at, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
    }
}

/// <summary>The in-memory hour of samples behind the chart.</summary>
public sealed class QueueHistoryTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 3, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Record_KeepsOneSamplePerInterval_ButAlwaysShowsTheLatest()
    {
        var clock = new ManualClock(Start);
        var history = new QueueHistory(clock);

        history.Record(Sample(Start, 1));
        history.Record(Sample(Start.AddSeconds(10), 2));
        history.Record(Sample(Start.AddSeconds(30), 3));
        clock.Now = Start.AddSeconds(45);
        history.Record(Sample(Start.AddSeconds(45), 4));

        Assert.Equal([1L, 3L, 4L], history.Samples().Select(s => s.Due!.Value));
        Assert.Equal(4, history.Latest!.Due);
    }

    [Fact]
    public void Samples_DropThoseOlderThanAnHour_AndTheRingNeverGrowsPastItsCapacity()
    {
        var clock = new ManualClock(Start);
        var history = new QueueHistory(clock);

        for (var i = 0; i < 500; i++)
        {
            clock.Now = Start.AddSeconds(30 * i);
            history.Record(Sample(clock.Now, i));
        }

        var samples = history.Samples();
        Assert.True(samples.Count <= QueueHistory.Capacity, $"{samples.Count} samples");
        Assert.All(samples, s => Assert.True(s.At >= clock.Now - QueueHistory.Span));
        Assert.Equal(499, samples[^1].Due);
        Assert.Equal(samples.OrderBy(s => s.At), samples);
    }

    [Fact]
    public void Samples_IsEmpty_BeforeTheFirstReading()
    {
        var history = new QueueHistory(new ManualClock(Start));

        Assert.Empty(history.Samples());
        Assert.Null(history.Latest);
    }

    private static QueueSample Sample(DateTimeOffset at, long due) => new(at, due, 0, 0, 0);

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
