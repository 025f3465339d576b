using System.Text.Json;
using SalesAuto.Core.DeadLetters;
using SalesAuto.Core.Tests.Infrastructure;
using static SalesAuto.Core.Tests.DeadLetters.DeadLetterTestData;

namespace SalesAuto.Core.Tests.DeadLetters;

public sealed class PostgresDeadLetterStoreTests(PostgresSchema schema) : IClassFixture<PostgresSchema>
{
    private PostgresDeadLetterStore Store => new(schema.DataSource, TestCircuits.Create());

    [Fact]
    public async Task AddAsync_ChangesNothing_WhenTheSameDeadLettersAreAddedAgain()
    {
        var source = UniqueSource();
        NewDeadLetter[] batch = [New(source, "e1"), New(source, "e2", "email.sent"), New(source, "e3", campaignId: null)];
        await Store.AddAsync(batch, TestContext.Token);
        var before = await RowsAsync(source);

        await Store.AddAsync([.. batch.Select(d => d with { FailureReason = "another reason", Attempts = 9 })], TestContext.Token);

        var after = await RowsAsync(source);
        Assert.Equal(3, after.Count);
        Assert.Equal(before, after);
        Assert.All(after, row => Assert.Equal(("failed", "enrollment not found after 6 attempts", 6), (row.Status, row.FailureReason, row.Attempts)));
    }

    [Fact]
    public async Task AddAsync_WritesTheEventsFields_AndThePayloadAsJsonb()
    {
        var source = UniqueSource();
        var firstSeen = new DateTimeOffset(2026, 5, 1, 8, 30, 0, TimeSpan.FromHours(2));
        await Store.AddAsync([New(source, "fields", "email.bounced", "cam_x", attempts: 4, reason: "enrollment not found after 4 attempts", payload: """{"a":[1,{"b":"ü"}]}""") with { FirstSeenAt = firstSeen }], TestContext.Token);

        var row = (await QueryAsync<(string Type, string CampaignId, int Attempts, string Reason, DateTime FirstSeen, string PayloadB, int ReplayCount)>(
            schema.DataSource,
            "select type, campaign_id, attempts, failure_reason, first_seen_at, payload #>> '{a,1,b}', replay_count from dead_letters where source = @source",
            new { source })).Single();

        Assert.Equal(("email.bounced", "cam_x", 4, "enrollment not found after 4 attempts", 0), (row.Type, row.CampaignId, row.Attempts, row.Reason, row.ReplayCount));
        Assert.Equal(firstSeen.UtcDateTime, row.FirstSeen);
        Assert.Equal("ü", row.PayloadB);
    }

    [Fact]
    public async Task AddAsync_WritesOneRow_WhenABatchRepeatsAnEvent()
    {
        var source = UniqueSource();

        await Store.AddAsync([New(source, "same", attempts: 5), New(source, "other"), New(source, "same", attempts: 6)], TestContext.Token);

        var rows = await RowsAsync(source);
        Assert.Equal(2, rows.Count);
        Assert.Equal(6, rows.Single(r => r.EventId == "same").Attempts);
    }

    [Fact]
    public async Task AddAsync_ReturnsAReplayingDeadLetterToFailed_WithTheNewReasonAndAttempts()
    {
        var source = UniqueSource();
        await Store.AddAsync([New(source, "again")], TestContext.Token);
        // What a replay does: replaying, counted, its old resolution gone.
        await ExecuteAsync(schema.DataSource, "update dead_letters set status = 'replaying', replay_count = 1, updated_at = now() - interval '1 hour', resolved_at = now() where source = @source", new { source });

        await Store.AddAsync([New(source, "again", attempts: 3, reason: "enrollment not found after 3 attempts")], TestContext.Token);

        var row = (await RowsAsync(source)).Single();
        Assert.Equal(("failed", "enrollment not found after 3 attempts", 3, 1), (row.Status, row.FailureReason, row.Attempts, row.ReplayCount));
        Assert.Null(row.ResolvedAt);
        Assert.True(row.UpdatedAt > DateTime.UtcNow.AddMinutes(-5));
    }

    [Theory]
    [InlineData("replayed")]
    [InlineData("ignored")]
    public async Task AddAsync_LeavesAResolvedDeadLetterAlone(string status)
    {
        var source = UniqueSource();
        await InsertAsync(schema.DataSource, source, "resolved", status: status);
        var before = await RowsAsync(source);

        await Store.AddAsync([New(source, "resolved", attempts: 1, reason: "changed")], TestContext.Token);

        Assert.Equal(before, await RowsAsync(source));
    }

    [Fact]
    public async Task AddAsync_SendsNoCommand_WhenTheListIsEmpty()
    {
        var rowsBefore = await ScalarAsync<long>(schema.DataSource, "select count(*) from dead_letters");
        using var counter = new RoundTripCounter();

        await Store.AddAsync([], TestContext.Token);

        Assert.Equal(0, counter.Count);
        Assert.Equal(rowsBefore, await ScalarAsync<long>(schema.DataSource, "select count(*) from dead_letters"));
    }

    [Fact]
    public async Task MarkReplayedAsync_ResolvesOnlyReplayingDeadLetters()
    {
        var source = UniqueSource();
        var replaying = await InsertAsync(schema.DataSource, source, "r1", status: "replaying");
        var failed = await InsertAsync(schema.DataSource, source, "r2");
        var ignored = await InsertAsync(schema.DataSource, source, "r3", status: "ignored", resolvedAt: DateTimeOffset.UtcNow.AddDays(-2));

        await Store.MarkReplayedAsync([replaying, failed, ignored, Guid.NewGuid(), replaying], TestContext.Token);

        var rows = (await RowsAsync(source)).ToDictionary(r => r.Id);
        Assert.Equal("replayed", rows[replaying].Status);
        Assert.True(rows[replaying].ResolvedAt > DateTime.UtcNow.AddMinutes(-5));
        Assert.Equal("failed", rows[failed].Status);
        Assert.Null(rows[failed].ResolvedAt);
        Assert.Equal("ignored", rows[ignored].Status);
        Assert.True(rows[ignored].ResolvedAt < DateTime.UtcNow.AddDays(-1));
    }

    [Fact]
    public async Task WriteAuditAsync_WritesOneRowPerEntry_InOrder()
    {
        Guid[] ids = [Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid()];
        using var detail = JsonDocument.Parse("""{"filter":{"status":"failed"},"dryRun":false}""");

        await Store.WriteAuditAsync("ops-team", DeadLetterAuditActions.Replay, [(ids[0], "replayed"), (ids[1], "requeued"), (ids[2], "not_found")], detail.RootElement, TestContext.Token);
        await Store.WriteAuditAsync("ops-team", DeadLetterAuditActions.Ignore, [(ids[0], "not_ignorable")], null, TestContext.Token);

        var rows = await QueryAsync<(Guid Id, string Actor, string Action, string Outcome, string? Detail)>(
            schema.DataSource, "select dead_letter_id, actor, action, outcome, detail::text from audit_log where dead_letter_id = any(@ids) order by id", new { ids });
        Assert.Equal(
            [(ids[0], "ops-team", "replay", "replayed"), (ids[1], "ops-team", "replay", "requeued"), (ids[2], "ops-team", "replay", "not_found"), (ids[0], "ops-team", "ignore", "not_ignorable")],
            rows.Select(r => (r.Id, r.Actor, r.Action, r.Outcome)));
        Assert.All(rows.Take(3), r => Assert.False(JsonDocument.Parse(r.Detail!).RootElement.GetProperty("dryRun").GetBoolean()));
        Assert.Null(rows[3].Detail);
    }

    [Fact]
    public async Task WriteAuditAsync_Refuses_AnUnknownAction()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.WriteAuditAsync("ops", "delete", [(Guid.NewGuid(), "x")], null, TestContext.Token));
    }

    [Fact]
    public async Task SelectIdsAsync_ReturnsMatchingIdsNewestFirst_UpToMax()
    {
        var source = UniqueSource();
        var at = new DateTimeOffset(2026, 2, 1, 0, 0, 0, TimeSpan.Zero);
        var failed = new List<Guid>();
        var ignored = new List<Guid>();
        for (var i = 0; i < 10; i++)
        {
            failed.Add(await InsertAsync(schema.DataSource, source, $"s_f{i}", createdAt: at.AddMinutes(2 * i)));
            ignored.Add(await InsertAsync(schema.DataSource, source, $"s_i{i}", status: "ignored", createdAt: at.AddMinutes((2 * i) + 1)));
        }

        await InsertAsync(schema.DataSource, source, "s_replayed", status: "replayed", createdAt: at.AddHours(1));
        var filter = new DeadLetterFilter(Source: source);

        var onlyFailed = await Store.SelectIdsAsync(filter, [DeadLetterStatus.Failed], 4, TestContext.Token);
        var failedAndIgnored = await Store.SelectIdsAsync(filter, [DeadLetterStatus.Failed, DeadLetterStatus.Ignored], 100, TestContext.Token);
        var byFilterStatus = await Store.SelectIdsAsync(filter with { Status = DeadLetterStatus.Ignored }, null, 3, TestContext.Token);
        var contradictory = await Store.SelectIdsAsync(filter with { Status = DeadLetterStatus.Ignored }, [DeadLetterStatus.Failed], 100, TestContext.Token);

        Assert.Equal(Enumerable.Reverse(failed).Take(4), onlyFailed);
        Assert.Equal(failed.Zip(ignored).SelectMany(p => new[] { p.First, p.Second }).Reverse(), failedAndIgnored);
        Assert.Equal(Enumerable.Reverse(ignored).Take(3), byFilterStatus);
        Assert.Empty(contradictory);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.SelectIdsAsync(filter, null, IDeadLetterStore.MaxSelect + 1, TestContext.Token));
    }

    [Fact]
    public async Task CountAsync_CountsMatches_NoFurtherThanTheCap()
    {
        var source = UniqueSource();
        for (var i = 0; i < 7; i++)
        {
            await InsertAsync(schema.DataSource, source, $"n{i}", status: i < 5 ? "failed" : "replayed");
        }

        var filter = new DeadLetterFilter(Source: source);

        Assert.Equal(7, await Store.CountAsync(filter, null, 100, TestContext.Token));
        Assert.Equal(5, await Store.CountAsync(filter, [DeadLetterStatus.Failed], 100, TestContext.Token));
        Assert.Equal(3, await Store.CountAsync(filter, [DeadLetterStatus.Failed], 3, TestContext.Token));
        Assert.Equal(2, await Store.CountAsync(filter with { Status = DeadLetterStatus.Replayed }, null, IDeadLetterStore.MaxSelect + 1, TestContext.Token));
        Assert.Equal(0, await Store.CountAsync(filter with { Type = "nothing" }, null, 100, TestContext.Token));
    }

    [Fact]
    public async Task IgnoreAsync_ReturnsNothing_ForNoIds()
    {
        Assert.Empty(await Store.IgnoreAsync([], "ops", null, TestContext.Token));
    }

    private Task<List<Row>> RowsAsync(string source) => QueryAsync<Row>(
        schema.DataSource,
        """
        select id, event_id as eventid, status, failure_reason as failurereason, attempts, replay_count as replaycount,
               created_at as createdat, updated_at as updatedat, resolved_at as resolvedat
        from dead_letters where source = @source order by event_id
        """,
        new { source });

    private sealed record Row(Guid Id, string EventId, string Status, string FailureReason, int Attempts, int ReplayCount, DateTime CreatedAt, DateTime UpdatedAt, DateTime? ResolvedAt);
}
