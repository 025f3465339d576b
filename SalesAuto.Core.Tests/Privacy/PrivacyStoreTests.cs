using System.IO.Pipelines;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using SalesAuto.Core.Audit;
using SalesAuto.Core.Enrollments;
using SalesAuto.Core.Events;
using SalesAuto.Core.Privacy;
using SalesAuto.Core.RetryQueue;
using SalesAuto.Core.Tests.Infrastructure;

namespace SalesAuto.Core.Tests.Privacy;

/// <summary>The privacy services on a schema of their own, without HTTP: the streaming export of a large history, hash-key rotation, settings.</summary>
public sealed class PrivacyStoreTests(PostgresSchema schema) : IClassFixture<PostgresSchema>
{
    [Fact]
    public async Task Export_StreamsEveryEvent_InBatches_WhenThePersonHas20000Events()
    {
        const int Count = 20_000;
        var email = $"p{Guid.NewGuid():N}@example.com";
        var campaign = $"cam_{Guid.NewGuid():N}";
        var enrollment = await new EnrollmentStore(schema.DataSource, TestCircuits.Create()).UpsertAsync(campaign, email, null, null, TestContext.Token);
        await using (var connection = await schema.DataSource.OpenConnectionAsync(TestContext.Token))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                """
                insert into campaign_events (source, event_id, enrollment_id, campaign_id, type, occurred_at, payload)
                select 'lemlist', 'act_' || n, @id, @campaign, 'email.opened', now(), jsonb_build_object('n', n, 'leadEmail', @email::text)
                from generate_series(1, @count) as n
                """, new { id = enrollment.Id, campaign, email, count = Count }, cancellationToken: TestContext.Token, commandTimeout: 120));
        }

        var exporter = Exporter(out var audit);
        var person = new PersonIdentifiers([email], []);
        using var body = new MemoryStream();
        var pipe = PipeWriter.Create(body);

        await exporter.WriteAsync(pipe, PersonIdentifier.Email(email), person, "tests", TestContext.Token);
        await pipe.CompleteAsync();

        using var document = JsonDocument.Parse(body.ToArray());
        var events = document.RootElement.GetProperty("events");
        Assert.Equal(Count, events.GetArrayLength());
        Assert.Equal(Enumerable.Range(1, Count), events.EnumerateArray().Select(e => e.GetProperty("payload").GetProperty("n").GetInt32()));
        Assert.True(Count > PrivacyExporter.BatchSize * 10);
        Assert.Equal(Count, document.RootElement.GetProperty("counts").GetProperty("events").GetInt64());
        var entry = Assert.Single((await audit.ListAsync(new AuditFilter(AuditActions.Export, "tests"), null, 10, TestContext.Token)).Items);
        Assert.Equal(Count, entry.Detail!.Value.GetProperty("events").GetInt64());
        Assert.Equal(Convert.ToHexStringLower(TestHasher.Instance.Current(PersonIdentifier.Email(email))), entry.Subject);
    }

    [Fact]
    public async Task Suppression_WrittenUnderARetiringKey_HoldsWhileThatKeyIsListed()
    {
        const string OldKey = "old-privacy-hash-key-0123456789abcdef";
        const string NewKey = "new-privacy-hash-key-0123456789abcdef";
        var email = $"p{Guid.NewGuid():N}@example.com";
        var audit = new PostgresAuditLog(schema.DataSource);
        await new PostgresPrivacyStore(schema.DataSource, TestHasher.Create(OldKey), audit).SuppressAsync(new PersonIdentifiers([email], []), TestContext.Token);
        var late = new CanonicalEvent("lemlist", $"act_{Guid.NewGuid():N}", "email.opened", DateTimeOffset.UtcNow, "cam_x", email, null, "{}");

        var rotating = await new PostgresEventProcessor(schema.DataSource, TestHasher.Create(NewKey, OldKey), TestCircuits.Create()).ApplyAsync([late], TestContext.Token);
        var retired = await new PostgresEventProcessor(schema.DataSource, TestHasher.Create(NewKey), TestCircuits.Create()).ApplyAsync([late], TestContext.Token);

        Assert.Equal([EventOutcome.Suppressed], rotating);
        Assert.Equal([EventOutcome.Orphan], retired);
        Assert.NotEqual(TestHasher.Create(OldKey).Current(PersonIdentifier.Email(email)), TestHasher.Create(NewKey).Current(PersonIdentifier.Email(email)));
        // An email and a CRM id with the same text are different identifiers.
        Assert.NotEqual(TestHasher.Instance.Current(PersonIdentifier.Email("901")), TestHasher.Instance.Current(PersonIdentifier.CrmContact("901")));
    }

    // An erase that writes its suppression while a batch is being stored: the batch either commits
    // first (and the erase waits for it, so its Postgres step sees the rows) or reads the suppression.
    [Fact]
    public async Task Suppress_WaitsForEventBatchesInFlight_AndBatchesAfterItSeeTheSuppression()
    {
        var store = new PostgresPrivacyStore(schema.DataSource, TestHasher.Instance, new PostgresAuditLog(schema.DataSource));
        var email = $"p{Guid.NewGuid():N}@example.com";
        await using (var inFlight = await schema.DataSource.OpenConnectionAsync(TestContext.Token))
        {
            await using var batch = await inFlight.BeginTransactionAsync(TestContext.Token);
            await inFlight.ExecuteAsync(SuppressionLock.SharedSql, transaction: batch);

            var suppress = store.SuppressAsync(new PersonIdentifiers([email], []), TestContext.Token);
            await WaitUntilSomeoneWaitsForAsync(inFlight.ProcessID, suppress);

            Assert.False(suppress.IsCompleted, "the suppression must wait for the batch in flight");
            await batch.CommitAsync(TestContext.Token);
            Assert.Equal(1, await suppress.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Token));
        }

        var other = $"p{Guid.NewGuid():N}@example.com";
        var late = new CanonicalEvent("lemlist", $"act_{Guid.NewGuid():N}", "email.opened", DateTimeOffset.UtcNow, "cam_x", other, null, "{}");
        var processor = new PostgresEventProcessor(schema.DataSource, TestHasher.Instance, TestCircuits.Create());
        await using var erase = await schema.DataSource.OpenConnectionAsync(TestContext.Token);
        await using (var suppressing = await erase.BeginTransactionAsync(TestContext.Token))
        {
            await erase.ExecuteAsync(SuppressionLock.ExclusiveSql, transaction: suppressing);
            await erase.ExecuteAsync("insert into suppressions (hash) values (@hash)", new { hash = TestHasher.Instance.Current(PersonIdentifier.Email(other)) }, suppressing);

            var apply = processor.ApplyAsync([late], TestContext.Token);
            await WaitUntilSomeoneWaitsForAsync(erase.ProcessID, apply);

            Assert.False(apply.IsCompleted, "a batch must wait while suppressions are being written");
            await suppressing.CommitAsync(TestContext.Token);
            Assert.Equal([EventOutcome.Suppressed], await apply.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Token));
        }
    }

    // Returns once Postgres says a backend is blocked behind the lock that backend `holder` holds
    // (what the operation under test must be doing), or the operation finished without waiting
    // (which the caller's assertion then refuses).
    private async Task WaitUntilSomeoneWaitsForAsync(int holder, Task operation)
    {
        await using var observer = await schema.DataSource.OpenConnectionAsync(TestContext.Token);
        while (!operation.IsCompleted
               && await observer.ExecuteScalarAsync<long>("select count(*) from pg_stat_activity where @holder = any(pg_blocking_pids(pid))", new { holder }) == 0)
        {
            await Task.Delay(20, TestContext.Token); // polling interval, not a margin
        }
    }

    [Theory]
    [InlineData(null, "Privacy:HashKeys")]
    [InlineData("too-short", "Privacy:HashKeys:0")]
    public async Task Start_Fails_NamingTheSetting_WhenTheHashKeyIsMissingOrShort(string? key, string named)
    {
        var settings = RunningServer.DefaultSettings(schema.ConnectionString, "unused:");
        settings["Privacy:HashKeys:0"] = key;

        var error = await Assert.ThrowsAnyAsync<Exception>(() => RunningServer.StartAsync(settings));

        Assert.Contains(named, error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(RunningServer.PrivacyHashKey, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_Fails_NamingTheSetting_WhenAuditRetentionAgeIsOutOfRange()
    {
        var settings = RunningServer.DefaultSettings(schema.ConnectionString, "unused:");
        settings["Audit:RetentionAge"] = "00:00:01";

        var error = await Assert.ThrowsAnyAsync<Exception>(() => RunningServer.StartAsync(settings));

        Assert.Contains("Audit:RetentionAge", error.ToString(), StringComparison.Ordinal);
    }

    private PrivacyExporter Exporter(out PostgresAuditLog audit)
    {
        audit = new PostgresAuditLog(schema.DataSource);
        var store = new PostgresPrivacyStore(schema.DataSource, TestHasher.Instance, audit);
        return new PrivacyExporter(schema.DataSource, store, new NoOrphans(), TestHasher.Instance, audit, NullLogger<PrivacyExporter>.Instance);
    }

    private sealed class NoOrphans : IParkedOrphans
    {
        public IAsyncEnumerable<OrphanItem> FindAsync(PersonIdentifiers person, CancellationToken cancellationToken) => AsyncEnumerable.Empty<OrphanItem>();

        public Task<int> ForgetAsync(IReadOnlyList<OrphanItem> items, CancellationToken cancellationToken) => Task.FromResult(0);
    }
}
