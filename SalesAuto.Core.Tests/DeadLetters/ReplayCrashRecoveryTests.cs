using System.Net;
using System.Text.Json;
using Npgsql;
using SalesAuto.Core.DeadLetters;
using SalesAuto.Core.RetryQueue;
using SalesAuto.Core.Tests.Infrastructure;
using StackExchange.Redis;
using static SalesAuto.Core.Tests.DeadLetters.DeadLetterTestData;

namespace SalesAuto.Core.Tests.DeadLetters;

/// <summary>
/// The known hole of issue 16: a replay killed after its claim left dead letters <c>replaying</c>
/// with nothing stored and nothing queued, recoverable only by a forced replay. Here a real
/// SalesAuto.Server process is SIGKILLed in the middle of a replay (held after its claim by a row
/// lock the test owns, so the moment is certain, not timed), and the retry cycle of another
/// instance replays them again once their claim has expired.
/// </summary>
public sealed class ReplayCrashRecoveryTests(PostgresSchema schema) : IClassFixture<PostgresSchema>
{
    [Fact]
    public async Task ExpiredReplayClaims_AreReplayedByTheCycle_WhenTheReplayingProcessWasKilledAfterItsClaim()
    {
        var prefix = TestEnvironment.UniqueName("replaykill") + ":";
        var campaign = TestEnvironment.UniqueName("cam");
        var source = UniqueSource();
        var settings = RunningServer.DefaultSettings(schema.ConnectionString, prefix);
        settings["DeadLetters:ReplayClaimTimeout"] = "00:00:02";
        // Generous limits: the replay must wait on the test's lock until it is killed, not give up.
        settings["Resilience:AttemptTimeout"] = "00:01:00";
        settings["Postgres:StatementTimeout"] = "00:02:00";
        settings["Logging:LogLevel:Default"] = "Warning";

        // Two dead letters: "enrolled" (its enrollment exists now, so a replay stores it) and
        // "orphan" (still no enrollment: a replay puts it back in the retry queue).
        await using var recovery = await RunningServer.StartAsync(settings);
        var enrolledAt = await EnrollAsync(recovery, campaign, "ann@example.com");
        var enrolled = New(source, "evt_enrolled", campaignId: campaign) with { };
        var orphan = New(source, "evt_orphan", campaignId: campaign);
        orphan = orphan with { Event = orphan.Event with { Email = "bob@example.com" } };
        var store = recovery.Services.GetRequiredService<IDeadLetterStore>();
        await store.AddAsync([enrolled, orphan], TestContext.Token);
        var ids = await QueryAsync<Guid>(schema.DataSource, "select id from dead_letters where source = @source order by event_id", new { source });
        Assert.Equal(2, ids.Count);

        // The test's transaction inserts the enrolled event's key and keeps it uncommitted: the
        // replay's insert of the same key waits on it, after the claim has been committed.
        await using var blocker = await schema.DataSource.OpenConnectionAsync(TestContext.Token);
        await using var transaction = await blocker.BeginTransactionAsync(TestContext.Token);
        await using (var insert = new NpgsqlCommand(
            "insert into campaign_events (source, event_id, enrollment_id, campaign_id, type, occurred_at, payload) values (@s, 'evt_enrolled', @e, @c, 'email.opened', now(), '{}')",
            blocker,
            transaction))
        {
            insert.Parameters.AddWithValue("s", source);
            insert.Parameters.AddWithValue("e", enrolledAt);
            insert.Parameters.AddWithValue("c", campaign);
            await insert.ExecuteNonQueryAsync(TestContext.Token);
        }

        await using (var child = await ServerProcess.StartAsync(settings, TestContext.Token))
        {
            var replay = child.Admin.PostAsync("/api/dlq/replay", RunningServer.Json(JsonSerializer.Serialize(new { ids })), TestContext.Token);
            await WaitUntilAsync(async () => await ScalarAsync<long>(schema.DataSource, "select count(*) from dead_letters where source = @source and status = 'replaying'", new { source }) == 2
                && await ScalarAsync<long>(schema.DataSource, "select count(*) from pg_stat_activity where @blocker = any(pg_blocking_pids(pid))", new { blocker = blocker.ProcessID }) > 0,
                "the child's replay claimed both dead letters and waits on the test's lock", child);

            await child.KillAsync(TestContext.Token);
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => replay);
        }

        // The killed process's sessions end with it (Postgres notices a dead client only when it
        // next talks to it: here, at once), then the test's transaction goes away.
        await ExecuteAsync(schema.DataSource, "select pg_terminate_backend(pid) from pg_stat_activity where @blocker = any(pg_blocking_pids(pid))", new { blocker = blocker.ProcessID });
        await transaction.RollbackAsync(TestContext.Token);

        // The hole: both replaying, the event not stored, nothing queued.
        Assert.Equal(["replaying", "replaying"], await QueryAsync<string>(schema.DataSource, "select status from dead_letters where source = @source order by event_id", new { source }));
        Assert.Equal(0L, await ScalarAsync<long>(schema.DataSource, "select count(*) from campaign_events where source = @source", new { source }));
        var redis = recovery.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        var keys = new RetryQueueKeys(prefix);
        Assert.Equal(0, await redis.HashLengthAsync(keys.Items));

        // The cycle of the surviving instance replays them once their claim (2 s) has expired.
        var cycle = recovery.Services.GetRequiredService<RetryCycle>();
        var recovered = 0;
        await WaitUntilAsync(async () =>
        {
            var result = await cycle.RunAsync(TestContext.Token);
            Assert.NotEqual(CycleOutcome.Failed, result.Outcome);
            recovered += result.ReplaysRecovered;
            return recovered > 0;
        }, "the cycle replayed the expired claims");

        Assert.Equal(2, recovered);
        var rows = await QueryAsync<(string EventId, string Status, DateTime? ClaimedUntil)>(schema.DataSource, "select event_id, status, replay_claimed_until from dead_letters where source = @source order by event_id", new { source });
        Assert.Equal(("evt_enrolled", "replayed"), (rows[0].EventId, rows[0].Status));
        Assert.Null(rows[0].ClaimedUntil);
        // The orphan is back in the retry queue: replaying, its claim released, its item queued.
        Assert.Equal(("evt_orphan", "replaying"), (rows[1].EventId, rows[1].Status));
        Assert.Null(rows[1].ClaimedUntil);
        Assert.True(await redis.HashExistsAsync(keys.Items, $"{source}\nevt_orphan"));
        Assert.Equal(1L, await ScalarAsync<long>(schema.DataSource, "select count(*) from campaign_events where source = @source and event_id = 'evt_enrolled'", new { source }));
        Assert.Equal(2L, await ScalarAsync<long>(schema.DataSource, "select count(*) from audit_log where dead_letter_id = any(@ids) and actor = @actor", new { ids = ids.ToArray(), actor = DeadLetterReplayer.RecoveryActor }));

        // Its enrollment arrives: the cycle applies it and the dead letter ends replayed.
        await EnrollAsync(recovery, campaign, "bob@example.com");
        await WaitUntilAsync(async () =>
        {
            await cycle.RunAsync(TestContext.Token);
            return await ScalarAsync<string>(schema.DataSource, "select status from dead_letters where source = @source and event_id = 'evt_orphan'", new { source }) == "replayed";
        }, "the requeued dead letter was applied once its enrollment arrived");
        Assert.Equal(2L, await ScalarAsync<long>(schema.DataSource, "select count(*) from campaign_events where source = @source", new { source }));
        Assert.Equal(0, await redis.HashLengthAsync(keys.Items));
    }

    private static async Task<long> EnrollAsync(RunningServer server, string campaign, string email)
    {
        using var response = await server.Admin.PostAsync("/api/enrollments", RunningServer.Json(JsonSerializer.Serialize(new { campaignId = campaign, email })), TestContext.Token);
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, $"enrollment answered {response.StatusCode}");
        return (await ReadJsonAsync(response)).GetProperty("id").GetInt64();
    }

    // Polls a condition the system decides, within a generous deadline; the interval is not a margin.
    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, ServerProcess? child = null)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
        while (!await condition())
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, $"not within 60 s: {what}{(child is null ? "" : "\n" + child.RecentOutput())}");
            await Task.Delay(100, TestContext.Token);
        }
    }
}
