using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SalesAuto.Core.DeadLetters;
using SalesAuto.Core.Tests.Infrastructure;
using static SalesAuto.Core.Tests.DeadLetters.DeadLetterTestData;

namespace SalesAuto.Core.Tests.DeadLetters;

public sealed class DeadLetterRetentionTests(PostgresSchema schema) : IClassFixture<PostgresSchema>
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    [Fact]
    public async Task RunAsync_DeletesOnlyResolvedDeadLettersOlderThanTheRetentionAge()
    {
        await ClearResolvedAsync();
        var source = UniqueSource();
        var oldReplayed = await InsertAsync(schema.DataSource, source, "old_replayed", status: "replayed", createdAt: Now.AddDays(-90), resolvedAt: Now.AddDays(-31));
        var oldIgnored = await InsertAsync(schema.DataSource, source, "old_ignored", status: "ignored", createdAt: Now.AddDays(-90), resolvedAt: Now.AddDays(-45));
        var recentReplayed = await InsertAsync(schema.DataSource, source, "recent_replayed", status: "replayed", createdAt: Now.AddDays(-90), resolvedAt: Now.AddDays(-29));
        var recentIgnored = await InsertAsync(schema.DataSource, source, "recent_ignored", status: "ignored", createdAt: Now.AddDays(-90), resolvedAt: Now.AddHours(-1));
        var oldFailed = await InsertAsync(schema.DataSource, source, "old_failed", status: "failed", createdAt: Now.AddDays(-400));
        var oldReplaying = await InsertAsync(schema.DataSource, source, "old_replaying", status: "replaying", createdAt: Now.AddDays(-400));
        // A failed row with a stale resolved_at (it was replayed, then failed again) is still never deleted.
        var failedAgain = await InsertAsync(schema.DataSource, source, "failed_again", status: "failed", createdAt: Now.AddDays(-400));
        await ExecuteAsync(schema.DataSource, "update dead_letters set resolved_at = now() - interval '100 days' where id = @failedAgain", new { failedAgain });

        var deleted = await Retention(new DeadLetterOptions { RetentionAge = TimeSpan.FromDays(30) }).RunAsync(TestContext.Token);

        var left = await QueryAsync<Guid>(schema.DataSource, "select id from dead_letters where source = @source", new { source });
        Assert.Equal(2, deleted);
        Assert.Equal(new[] { recentReplayed, recentIgnored, oldFailed, oldReplaying, failedAgain }.Order(), left.Order());
        Assert.DoesNotContain(oldReplayed, left);
        Assert.DoesNotContain(oldIgnored, left);
    }

    [Fact]
    public async Task RunAsync_DeletesInBatchesOfTheConfiguredSize_UntilNoneAreLeft()
    {
        await ClearResolvedAsync();
        var source = UniqueSource();
        for (var i = 0; i < 10; i++)
        {
            await InsertAsync(schema.DataSource, source, $"b{i}", status: i % 2 == 0 ? "replayed" : "ignored", createdAt: Now.AddDays(-20), resolvedAt: Now.AddDays(-10).AddMinutes(i));
        }

        var retention = Retention(new DeadLetterOptions { RetentionAge = TimeSpan.FromDays(1), RetentionBatchSize = 3 });

        // One statement (the store's, which RunAsync repeats) deletes one batch, oldest resolved first.
        var first = await new PostgresDeadLetterStore(schema.DataSource, TestCircuits.Create()).DeleteResolvedBatchAsync(Now.AddDays(-1), 3, TestContext.Token);
        Assert.Equal(3, first);
        Assert.Equal(["b3", "b4", "b5", "b6", "b7", "b8", "b9"], await QueryAsync<string>(schema.DataSource, "select event_id from dead_letters where source = @source order by event_id", new { source }));

        var rest = await retention.RunAsync(TestContext.Token);

        Assert.Equal(7, rest);
        Assert.Equal(0L, await ScalarAsync<long>(schema.DataSource, "select count(*) from dead_letters where source = @source", new { source }));
        Assert.Equal(0, await retention.RunAsync(TestContext.Token));
    }

    [Fact]
    public async Task RunAsync_KeepsAuditRows_OfDeletedDeadLetters()
    {
        var source = UniqueSource();
        var id = await InsertAsync(schema.DataSource, source, "audited", status: "ignored", resolvedAt: Now.AddDays(-60));
        await new PostgresDeadLetterStore(schema.DataSource, TestCircuits.Create()).WriteAuditAsync("ops", DeadLetterAuditActions.Ignore, [(id, "ignored")], null, TestContext.Token);

        await Retention(new DeadLetterOptions()).RunAsync(TestContext.Token);

        Assert.Equal(0L, await ScalarAsync<long>(schema.DataSource, "select count(*) from dead_letters where id = @id", new { id }));
        Assert.Equal(1L, await ScalarAsync<long>(schema.DataSource, "select count(*) from audit_log where dead_letter_id = @id", new { id }));
    }

    [Fact]
    public async Task RunAsync_DeletesNothing_WhenAlreadyCancelled()
    {
        var source = UniqueSource();
        await InsertAsync(schema.DataSource, source, "kept", status: "replayed", resolvedAt: Now.AddDays(-60));
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        var deleted = await Retention(new DeadLetterOptions()).RunAsync(cancelled.Token);

        Assert.Equal(0, deleted);
        Assert.Equal(1L, await ScalarAsync<long>(schema.DataSource, "select count(*) from dead_letters where source = @source", new { source }));
    }

    [Fact]
    public async Task RetentionHostedService_DeletesOnTheSchedule_InSalesAutoServer()
    {
        var settings = RunningServer.DefaultSettings(schema.ConnectionString, TestEnvironment.UniqueName("retention") + ":");
        settings["DeadLetters:RetentionSchedule"] = "* * * * * *";
        settings["DeadLetters:RetentionAge"] = "1.00:00:00";
        var source = UniqueSource();
        var old = await InsertAsync(schema.DataSource, source, "scheduled_old", status: "ignored", resolvedAt: Now.AddDays(-2));
        var failed = await InsertAsync(schema.DataSource, source, "scheduled_failed", status: "failed", createdAt: Now.AddDays(-2));

        await using var server = await RunningServer.StartAsync(settings);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await ScalarAsync<long>(schema.DataSource, "select count(*) from dead_letters where id = @old", new { old }) > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200, TestContext.Token);
        }

        Assert.Equal(0L, await ScalarAsync<long>(schema.DataSource, "select count(*) from dead_letters where id = @old", new { old }));
        Assert.Equal(1L, await ScalarAsync<long>(schema.DataSource, "select count(*) from dead_letters where id = @failed", new { failed }));
    }

    // The tests of this class share a schema: those that count deletions start without resolved rows.
    private Task ClearResolvedAsync() => ExecuteAsync(schema.DataSource, "delete from dead_letters where status in ('replayed', 'ignored')");

    private DeadLetterRetention Retention(DeadLetterOptions options) =>
        new(new PostgresDeadLetterStore(schema.DataSource, TestCircuits.Create()), new FixedOptionsMonitor<DeadLetterOptions>(options), new SalesAuto.Core.Audit.PostgresAuditLog(schema.DataSource), new FixedOptionsMonitor<SalesAuto.Core.Audit.AuditOptions>(new()), TimeProvider.System, NullLogger<DeadLetterRetention>.Instance);

    private sealed class FixedOptionsMonitor<T>(T value) : IOptionsMonitor<T>
    {
        public T CurrentValue => value;

        public T Get(string? name) => value;

        public IDisposable? OnChange(Action<T, string?> listener) => null;
    }
}
