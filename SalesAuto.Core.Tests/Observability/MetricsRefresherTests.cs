using SalesAuto.Core.DeadLetters;
using SalesAuto.Core.Events;
using SalesAuto.Core.Observability;
using SalesAuto.Core.Tests.Infrastructure;

namespace SalesAuto.Core.Tests.Observability;

public sealed class MetricsRefresherTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Refresh_SetsTheGauges_FromTheQueueAndTheDeadLetterCounts()
    {
        var store = fixture.Server.Services.GetRequiredService<IDeadLetterStore>();
        var events = Enumerable.Range(0, 3)
            .Select(i => new NewDeadLetter(new CanonicalEvent("lemlist", $"g-{Guid.NewGuid():N}", "email.sent", DateTimeOffset.UtcNow, "c", "x@example.com", null, "{}"), 6, DateTimeOffset.UtcNow, "enrollment not found after 6 attempts"))
            .ToList();
        await store.AddAsync(events, TestContext.Token);
        var ignored = await DeadLetterTestDataIds(events[0].Event.EventId);
        await store.IgnoreAsync([ignored], "tests", null, TestContext.Token);

        await fixture.Server.Services.GetRequiredService<MetricsRefresher>().RefreshAsync(TestContext.Token);

        var metrics = fixture.Server.Services.GetRequiredService<SalesAutoMetrics>();
        Assert.Equal(2, metrics.DeadLettersUnresolved.Value);
        Assert.Equal(0, metrics.OrphanQueueDepth.WithLabels("due").Value);
    }

    private async Task<Guid> DeadLetterTestDataIds(string eventId)
    {
        await using var command = fixture.Schema.DataSource.CreateCommand("select id from dead_letters where event_id = @e");
        command.Parameters.AddWithValue("e", eventId);
        return (Guid)(await command.ExecuteScalarAsync(TestContext.Token))!;
    }
}
