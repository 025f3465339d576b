using SalesAuto.Core.Observability;
using SalesAuto.Core.RetryQueue;
using SalesAuto.Core.Tests.Infrastructure;
using StackExchange.Redis;

namespace SalesAuto.Core.Tests.RetryQueue;

public sealed class RetryQueueOutageTests(RedisQueueFixture redis) : IClassFixture<RedisQueueFixture>
{
    private static readonly TimeSpan Later = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task Restart_LosesNothing_AndScriptsStillWork_WhenRedisIsKilledAndStartedAgain()
    {
        await using var server = await PrivateRedisServer.StartAsync(TestContext.Token);
        await using var connection = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString);
        var queue = RedisQueueFixture.CreateQueue(connection, "restart:");
        await queue.EnqueueAsync(
        [
            .. Enumerable.Range(1, 10).Select(i => (RedisQueueFixture.Orphan($"now_{i}", email: $"lead{i}@example.com"), TimeSpan.Zero)),
            (RedisQueueFixture.Orphan("later_1", email: "later@example.com"), Later),
            (RedisQueueFixture.Orphan("later_2", email: "later@example.com"), Later),
        ], TestContext.Token);
        var claimed = (await queue.ClaimAsync(4, TestContext.Token)).Items;
        Assert.Equal(4, claimed.Count);
        Assert.True(await queue.AckAsync(claimed[0], TestContext.Token));
        var rescheduled = claimed[1].Item with { Attempts = 1, LastFailure = "enrollment not found (attempt 1 of 6)" };
        Assert.True(await queue.RescheduleAsync(claimed[1], rescheduled, Later, TestContext.Token));
        await using var cycleLock = await queue.TryAcquireCycleLockAsync(Later, TestContext.Token);
        Assert.NotNull(cycleLock);
        var before = await queue.GetDepthAsync(TestContext.Token);

        await server.KillAsync(TestContext.Token);
        await Assert.ThrowsAsync<RetryQueueUnavailableException>(() => queue.GetDepthAsync(TestContext.Token));
        await server.StartAgainAsync(TestContext.Token);
        await WaitUntilConnectedAsync(connection);

        var after = await queue.GetDepthAsync(TestContext.Token);
        Assert.Equal((9L, 2L), (before.Due, before.Leased));
        Assert.Equal((before.Due, before.Leased), (after.Due, after.Leased));
        Assert.True(await queue.AckAsync(claimed[2], TestContext.Token));
        Assert.True(await queue.ReleaseAsync(claimed[3], TestContext.Token));
        Assert.Null(await queue.TryAcquireCycleLockAsync(Later, TestContext.Token));
        Assert.True(await cycleLock.ExtendAsync(Later, TestContext.Token));
        Assert.Equal(1, await queue.PromoteAsync([rescheduled.Event.LookupKey], TestContext.Token));

        // NOSCRIPT without a reconnect: the client still believes its scripts are loaded, sends
        // EVALSHA, gets NOSCRIPT and must send the script again.
        var admin = connection.GetServer(connection.GetEndPoints()[0]);
        await admin.ScriptFlushAsync();
        var afterFlush = await queue.GetDepthAsync(TestContext.Token);
        var rest = await queue.ClaimAsync(100, TestContext.Token);
        Assert.Equal((after.Due + 1, after.Leased - 2), (afterFlush.Due, afterFlush.Leased));
        Assert.Contains("errorstat_NOSCRIPT", (await admin.InfoRawAsync("errorstats")) ?? string.Empty, StringComparison.Ordinal);

        var expected = Enumerable.Range(1, 10).Select(i => $"now_{i}")
            .Except([claimed[0].Item.Event.EventId, claimed[2].Item.Event.EventId])
            .Order();
        Assert.Equal(expected, rest.Items.Select(c => c.Item.Event.EventId).Order());
        Assert.Equal(rescheduled, rest.Items.Single(c => c.Item.Id == rescheduled.Id).Item);
        foreach (var item in rest.Items)
        {
            Assert.True(await queue.AckAsync(item, TestContext.Token));
        }

        var end = await queue.GetDepthAsync(TestContext.Token);
        Assert.Equal((2L, 0L), (end.Due, end.Leased));
    }

    [Fact]
    public async Task Operations_ThrowRetryQueueUnavailable_WhenRedisIsUnreachable()
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{TestEnvironment.ClosedPort()},abortConnect=false,connectTimeout=500,syncTimeout=1000,asyncTimeout=1000");
        var metrics = new SalesAutoMetrics();
        var queue = RedisQueueFixture.CreateQueue(connection, "down:", metrics);
        var item = RedisQueueFixture.Orphan("evt_1");
        var claimed = new ClaimedItem(item, 1);

        // All at once: each waits for the client's backlog timeout before it fails.
        var errors = await Task.WhenAll(
            Assert.ThrowsAsync<RetryQueueUnavailableException>(() => queue.EnqueueAsync([(item, TimeSpan.Zero)], TestContext.Token)),
            Assert.ThrowsAsync<RetryQueueUnavailableException>(() => queue.ClaimAsync(10, TestContext.Token)),
            Assert.ThrowsAsync<RetryQueueUnavailableException>(() => queue.AckAsync(claimed, TestContext.Token)),
            Assert.ThrowsAsync<RetryQueueUnavailableException>(() => queue.RescheduleAsync(claimed, item, TimeSpan.Zero, TestContext.Token)),
            Assert.ThrowsAsync<RetryQueueUnavailableException>(() => queue.ReleaseAsync(claimed, TestContext.Token)),
            Assert.ThrowsAsync<RetryQueueUnavailableException>(() => queue.PromoteAsync([item.Event.LookupKey], TestContext.Token)),
            Assert.ThrowsAsync<RetryQueueUnavailableException>(() => queue.GetDepthAsync(TestContext.Token)),
            Assert.ThrowsAsync<RetryQueueUnavailableException>(() => queue.TryAcquireCycleLockAsync(Later, TestContext.Token)));

        // The client's own timeout, or (on a busy machine, where its 1 s heartbeat notices late)
        // the queue's per-call bound (Resilience:AttemptTimeout): an outage either way.
        Assert.All(errors, e => Assert.True(e.InnerException is RedisConnectionException or RedisTimeoutException or Polly.Timeout.TimeoutRejectedException, e.InnerException?.GetType().Name));
        Assert.All(errors, e => Assert.DoesNotContain("password", e.Message, StringComparison.OrdinalIgnoreCase));
        Assert.Equal(errors.Length, metrics.RedisErrors.Value);
    }

    [Fact]
    public async Task Claim_ThrowsServerErrorNotUnavailable_WhenAKeyHoldsTheWrongType()
    {
        var prefix = redis.NewPrefix();
        var metrics = new SalesAutoMetrics();
        var queue = redis.CreateQueue(prefix, metrics);
        await redis.Redis.GetDatabase().StringSetAsync(new RetryQueueKeys(prefix).Due, "not a sorted set");

        await Assert.ThrowsAsync<RedisServerException>(() => queue.ClaimAsync(10, TestContext.Token));

        Assert.Equal(1, metrics.RedisErrors.Value);
    }

    [Fact]
    public async Task Claim_Throws_WhenCancelledBeforeItStarts()
    {
        var queue = redis.CreateQueue(redis.NewPrefix());
        await queue.EnqueueAsync([(RedisQueueFixture.Orphan("evt_1"), TimeSpan.Zero)], TestContext.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queue.ClaimAsync(10, new CancellationToken(canceled: true)));

        var depth = await queue.GetDepthAsync(TestContext.Token);
        Assert.Equal((1L, 0L), (depth.Due, depth.Leased));
        Assert.Single((await queue.ClaimAsync(10, TestContext.Token)).Items);
    }

    private static async Task WaitUntilConnectedAsync(ConnectionMultiplexer connection)
    {
        while (true)
        {
            try
            {
                await connection.GetDatabase().PingAsync();
                return;
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                await Task.Delay(100, TestContext.Token);
            }
        }
    }
}
