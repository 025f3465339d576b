using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using SalesAuto.Core.DeadLetters;
using SalesAuto.Core.Events;
using SalesAuto.Core.Http;
using SalesAuto.Core.Observability;
using SalesAuto.Core.Privacy;
using SalesAuto.Core.Resilience;
using SalesAuto.Core.RetryQueue;
using SalesAuto.Core.Tests.Infrastructure;
using SalesAuto.Core.Tests.Webhooks;
using SalesAuto.Core.Webhooks;
using static SalesAuto.Core.Tests.DeadLetters.DeadLetterTestData;

namespace SalesAuto.Core.Tests.DeadLetters;

/// <summary>
/// The replay takes dead letters' events through the one event intake (<see cref="WebhookIntake"/>):
/// what the intake could not take gets its previous status back, and an outage is counted once.
/// </summary>
public sealed class DeadLetterReplayIntakeTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private RunningServer Server => fixture.Server;

    private IDeadLetterStore Store => Server.Services.GetRequiredService<IDeadLetterStore>();

    public static TheoryData<string> Failures => ["outage", "cancelled", "bug"];

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task Replay_GivesTheClaimsTheirStatusBack_WhenTheIntakeCannotStoreTheEvents(string failure)
    {
        var id = await DeadLetterAsync(Store, fixture.Schema);
        var metrics = new SalesAutoMetrics();
        var replayer = Replayer(failure, metrics);

        Exception thrown = failure switch
        {
            "outage" => await Assert.ThrowsAsync<PostgresUnavailableException>(() => replayer.ReplayAsync([id], false, false, "tests", null, TestContext.Token)),
            "cancelled" => await Assert.ThrowsAsync<OperationCanceledException>(() => replayer.ReplayAsync([id], false, false, "tests", null, TestContext.Token)),
            _ => await Assert.ThrowsAsync<InvalidOperationException>(() => replayer.ReplayAsync([id], false, false, "tests", null, TestContext.Token)),
        };

        Assert.NotNull(thrown);
        Assert.Equal("failed", await StatusAsync(id));
        Assert.Equal(1, await ScalarAsync<int>(fixture.Schema.DataSource, "select replay_count from dead_letters where id = @id", new { id }));
        Assert.Equal(0L, await ScalarAsync<long>(fixture.Schema.DataSource, "select count(*) from audit_log where dead_letter_id = @id and action = 'replay'", new { id }));
        // Counted once, by the intake, and only for an outage (the middleware and the cycle do not count again).
        Assert.Equal(failure == "outage" ? 1 : 0, metrics.PostgresErrors.Value);
    }

    [Fact]
    public async Task Replay_AnswersTheOutageWith503_AndTheDeadLetterCanBeReplayedOnceItIsOver()
    {
        var id = await DeadLetterAsync(Store, fixture.Schema);
        var replayer = Replayer("outage", new SalesAutoMetrics());

        var outage = await Assert.ThrowsAsync<PostgresUnavailableException>(() => replayer.ReplayAsync([id], false, false, "tests", null, TestContext.Token));
        var (status, body) = await PostJsonAsync(Server.Admin, "/api/dlq/replay", JsonSerializer.Serialize(new { ids = new[] { id } }));

        Assert.Equal(StatusCodes.Status503ServiceUnavailable, Problems.ForDependencyFailure(outage)?.StatusCode);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("requeued", body.GetProperty("results")[0].GetProperty("result").GetString());
        Assert.Equal(2, await ScalarAsync<int>(fixture.Schema.DataSource, "select replay_count from dead_letters where id = @id", new { id }));
    }

    [Fact]
    public async Task RecoverExpiredClaims_RecoversNone_AndLeavesTheClaimsExpiredForTheNextCycle_WhenPostgresCannotStoreTheEvents()
    {
        var id = await DeadLetterAsync(Store, fixture.Schema);
        await ExecuteAsync(fixture.Schema.DataSource, "update dead_letters set status = 'replaying', replay_claimed_until = now() - interval '1 minute' where id = @id", new { id });
        var metrics = new SalesAutoMetrics();

        var recovered = await Replayer("outage", metrics).RecoverExpiredClaimsAsync(TestContext.Token);

        Assert.Equal(0, recovered);
        Assert.Equal("replaying", await StatusAsync(id));
        Assert.True(await ScalarAsync<bool>(fixture.Schema.DataSource, "select replay_claimed_until <= now() from dead_letters where id = @id", new { id }), "the claim is not expired any more: the next cycle would not recover it");
        Assert.Equal(1, metrics.PostgresErrors.Value);
        Assert.Contains(id, await Store.FindExpiredClaimsAsync(DeadLetterReplayer.ChunkSize, TestContext.Token));
    }

    [Fact]
    public async Task Replay_AuditsTheChunksItReplayed_WhenPostgresFailsALaterChunk()
    {
        var events = Enumerable.Range(0, DeadLetterReplayer.ChunkSize + 1)
            .Select(n => new CanonicalEvent("lemlist", $"act_{Guid.NewGuid():N}", "email.opened", DateTimeOffset.UtcNow, $"cam_{Guid.NewGuid():N}", $"dl{n}_{Guid.NewGuid():N}@example.com", null, """{"n":1}"""))
            .ToList();
        await Store.AddAsync([.. events.Select(e => new NewDeadLetter(e, 6, DateTimeOffset.UtcNow.AddHours(-2), "enrollment not found after 6 attempts"))], TestContext.Token);
        var idOf = (await QueryAsync<(string EventId, Guid Id)>(fixture.Schema.DataSource, "select event_id, id from dead_letters where event_id = any(@eventIds)", new { eventIds = events.Select(e => e.EventId).ToArray() }))
            .ToDictionary(r => r.EventId, r => r.Id);
        Guid[] ids = [.. events.Select(e => idOf[e.EventId])];
        var metrics = new SalesAutoMetrics();
        var replayer = Replayer(new SecondCallFails(Server.Services.GetRequiredService<IEventProcessor>()), metrics);

        await Assert.ThrowsAsync<PostgresUnavailableException>(() => replayer.ReplayAsync(ids, false, false, "tests", null, TestContext.Token));

        var first = ids[..DeadLetterReplayer.ChunkSize];
        var last = ids[^1];
        Assert.Equal((long)first.Length, await ScalarAsync<long>(fixture.Schema.DataSource, "select count(*) from audit_log where dead_letter_id = any(@first) and action = 'replay' and outcome = 'requeued' and actor = 'tests'", new { first }));
        Assert.Equal(0L, await ScalarAsync<long>(fixture.Schema.DataSource, "select count(*) from audit_log where dead_letter_id = @last", new { last }));
        Assert.Equal("failed", await StatusAsync(last));
        Assert.Equal(1, metrics.PostgresErrors.Value);
    }

    internal static async Task<Guid> DeadLetterAsync(IDeadLetterStore store, PostgresSchema schema, string? campaign = null, string? email = null)
    {
        var evt = new CanonicalEvent("lemlist", $"act_{Guid.NewGuid():N}", "email.opened", DateTimeOffset.UtcNow, campaign ?? $"cam_{Guid.NewGuid():N}", email ?? $"dl{Guid.NewGuid():N}@example.com", null, """{"n":1}""");
        await store.AddAsync([new NewDeadLetter(evt, 6, DateTimeOffset.UtcNow.AddHours(-2), "enrollment not found after 6 attempts")], TestContext.Token);
        return await ScalarAsync<Guid>(schema.DataSource, "select id from dead_letters where source = 'lemlist' and event_id = @eventId", new { eventId = evt.EventId });
    }

    private Task<string> StatusAsync(Guid id) => ScalarAsync<string>(fixture.Schema.DataSource, "select status from dead_letters where id = @id", new { id });

    // The server's own services, but an event processor that fails the way named, and metrics of the test's own.
    private DeadLetterReplayer Replayer(string failure, SalesAutoMetrics metrics) => Replayer(new FailingProcessor(failure), metrics);

    private DeadLetterReplayer Replayer(IEventProcessor processor, SalesAutoMetrics metrics)
    {
        var services = Server.Services;
        var intake = new WebhookIntake(
            services.GetRequiredService<RetryPolicy>(), processor, services.GetRequiredService<IRetryQueue>(),
            services.GetRequiredService<PrivacyEraser>(), services.GetRequiredService<SuppressionHits>(), metrics, TimeProvider.System,
            NullLogger<WebhookIntake>.Instance);
        return new DeadLetterReplayer(intake, Store, services.GetRequiredService<IOptions<DeadLetterOptions>>(), NullLogger<DeadLetterReplayer>.Instance);
    }

    // The real processor once, then Postgres "goes down".
    private sealed class SecondCallFails(IEventProcessor real) : IEventProcessor
    {
        private int _calls;

        public Task<IReadOnlyList<EventOutcome>> ApplyAsync(IReadOnlyList<CanonicalEvent> events, CancellationToken cancellationToken) =>
            Interlocked.Increment(ref _calls) == 1 ? real.ApplyAsync(events, cancellationToken) : new FailingProcessor("outage").ApplyAsync(events, cancellationToken);
    }

    private sealed class FailingProcessor(string failure) : IEventProcessor
    {
        public Task<IReadOnlyList<EventOutcome>> ApplyAsync(IReadOnlyList<CanonicalEvent> events, CancellationToken cancellationToken) => failure switch
        {
            // The connection's failure, as Npgsql reports a refused or reset socket: an outage.
            "outage" => throw new NpgsqlException("Failed to connect", new SocketException((int)SocketError.ConnectionRefused)),
            "cancelled" => throw new OperationCanceledException("the request went away"),
            _ => throw new InvalidOperationException("a bug in the processor"),
        };
    }
}

/// <summary>A replay whose orphans the retry queue cannot all take (it holds one item).</summary>
public sealed class DeadLetterReplayQueueFullTests(TinyQueueFixture fixture) : IClassFixture<TinyQueueFixture>
{
    [Fact]
    public async Task Replay_RequeuesWhatTheQueueTakes_FailsTheRest_AndStillAppliesTheEnrolled_WhenTheQueueIsFull()
    {
        var store = fixture.Server.Services.GetRequiredService<IDeadLetterStore>();
        var campaign = $"cam_{Guid.NewGuid():N}";
        const string Enrolled = "enrolled@example.com";
        using (var enroll = await fixture.Server.Admin.PostAsync("/api/enrollments", RunningServer.Json($$"""{"campaignId":"{{campaign}}","email":"{{Enrolled}}"}"""), TestContext.Token))
        {
            enroll.EnsureSuccessStatusCode();
        }

        var applied = await DeadLetterReplayIntakeTests.DeadLetterAsync(store, fixture.Schema, campaign, Enrolled);
        Guid[] orphans = [await DeadLetterReplayIntakeTests.DeadLetterAsync(store, fixture.Schema), await DeadLetterReplayIntakeTests.DeadLetterAsync(store, fixture.Schema)];

        var (status, body) = await PostJsonAsync(fixture.Server.Admin, "/api/dlq/replay", JsonSerializer.Serialize(new { ids = new[] { applied, orphans[0], orphans[1] } }));

        Assert.Equal(HttpStatusCode.OK, status);
        var results = body.GetProperty("results").EnumerateArray().ToDictionary(r => r.GetProperty("id").GetGuid(), r => r.GetProperty("result").GetString());
        Assert.Equal("replayed", results[applied]);
        Assert.Equal(["failed", "requeued"], orphans.Select(o => results[o]).Order());
        var requeued = orphans.Single(o => results[o] == "requeued");
        var refused = orphans.Single(o => results[o] == "failed");
        Assert.Equal("replayed", await StatusOf(applied));
        Assert.Equal("replaying", await StatusOf(requeued));
        Assert.Equal("failed", await StatusOf(refused));
        var depth = await fixture.Server.Services.GetRequiredService<IRetryQueue>().GetDepthAsync(TestContext.Token);
        Assert.Equal(1L, depth.Due + depth.Leased);
        Assert.Equal("failed", await ScalarAsync<string>(fixture.Schema.DataSource, "select outcome from audit_log where dead_letter_id = @refused and action = 'replay'", new { refused }));
    }

    private Task<string> StatusOf(Guid id) => ScalarAsync<string>(fixture.Schema.DataSource, "select status from dead_letters where id = @id", new { id });
}
