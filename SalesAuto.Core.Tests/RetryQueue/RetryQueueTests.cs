using SalesAuto.Core.Events;
using SalesAuto.Core.RetryQueue;
using SalesAuto.Core.Tests.Infrastructure;
using StackExchange.Redis;

namespace SalesAuto.Core.Tests.RetryQueue;

/// <summary>The queue's contract, run on a single Redis (<see cref="SingleNodeRetryQueueTests"/>) and on a Redis Cluster (<see cref="ClusterRetryQueueTests"/>).</summary>
public abstract class RetryQueueTests(RedisQueueFixture redis)
{
    private static readonly TimeSpan Later = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task Claim_ReturnsItemWithEveryField_WhenEnqueuedDueNow()
    {
        var queue = redis.CreateQueue(redis.NewPrefix());
        var item = RedisQueueFixture.Orphan("evt_1", attempts: 2);

        var outcomes = await queue.EnqueueAsync([(item, TimeSpan.Zero)], TestContext.Token);
        var claim = await queue.ClaimAsync(10, TestContext.Token);

        Assert.Equal([EnqueueOutcome.Enqueued], outcomes);
        var claimed = Assert.Single(claim.Items);
        Assert.Equal(item, claimed.Item);
        Assert.Equal(item.Event.Payload, claimed.Item.Event.Payload);
        Assert.Equal(item.Event.OccurredAt.Offset, claimed.Item.Event.OccurredAt.Offset);
        Assert.Equal(item.FirstSeenAt.Offset, claimed.Item.FirstSeenAt.Offset);
        Assert.Equal(item.FirstSeenAt.UtcTicks, claimed.Item.FirstSeenAt.UtcTicks);
        Assert.True(claimed.Token > 0);
        Assert.Equal(0, claim.Reclaimed);
    }

    [Fact]
    public async Task AckBatch_RemovesEveryHeldItem_AndRefusesOnlyTheStaleOne()
    {
        var queue = redis.CreateQueue(redis.NewPrefix());
        var items = Enumerable.Range(0, 250).Select(i => (RedisQueueFixture.Orphan($"evt_batch_{i}"), TimeSpan.Zero)).ToList();
        await queue.EnqueueAsync(items, TestContext.Token);
        var claimed = (await queue.ClaimAsync(250, TestContext.Token)).Items.ToList();
        // A token that is not the lease's: a stale worker's.
        claimed[7] = claimed[7] with { Token = claimed[7].Token + 100_000 };

        var acked = await queue.AckAsync(claimed, TestContext.Token);

        Assert.Equal(250, acked.Count);
        Assert.False(acked[7]);
        Assert.Equal(249, acked.Count(a => a));
        var depth = await queue.GetDepthAsync(TestContext.Token);
        Assert.Equal(0, depth.Due);
        Assert.Equal(1, depth.Leased);
    }

    [Fact]
    public async Task Claim_LeavesItemParked_WhenItIsNotDueYet()
    {
        var queue = redis.CreateQueue(redis.NewPrefix());
        var now = RedisQueueFixture.Orphan("evt_now");
        var later = RedisQueueFixture.Orphan("evt_later");

        await queue.EnqueueAsync([(now, TimeSpan.Zero), (later, Later)], TestContext.Token);
        var claim = await queue.ClaimAsync(10, TestContext.Token);
        var again = await queue.ClaimAsync(10, TestContext.Token);

        Assert.Equal("evt_now", Assert.Single(claim.Items).Item.Event.EventId);
        Assert.Empty(again.Items);
        var depth = await queue.GetDepthAsync(TestContext.Token);
        Assert.Equal(1, depth.Due);
        Assert.Equal(1, depth.Leased);
    }

    [Fact]
    public async Task Claim_ReturnsAtMostMaxOldestDueFirst_WhenMoreAreDue()
    {
        var prefix = redis.NewPrefix();
        var queue = redis.CreateQueue(prefix);
        await queue.EnqueueAsync(
        [
            (RedisQueueFixture.Orphan("evt_c"), TimeSpan.FromMilliseconds(300)),
            (RedisQueueFixture.Orphan("evt_a"), TimeSpan.FromMilliseconds(100)),
            (RedisQueueFixture.Orphan("evt_d"), TimeSpan.FromMilliseconds(400)),
            (RedisQueueFixture.Orphan("evt_b"), TimeSpan.FromMilliseconds(200)),
        ], TestContext.Token);
        await WaitUntilAllDueAsync(prefix);

        var first = await queue.ClaimAsync(2, TestContext.Token);
        var second = await queue.ClaimAsync(10, TestContext.Token);

        Assert.Equal(["evt_a", "evt_b"], first.Items.Select(c => c.Item.Event.EventId));
        Assert.Equal(["evt_c", "evt_d"], second.Items.Select(c => c.Item.Event.EventId));
    }

    [Fact]
    public async Task Enqueue_ReturnsAlreadyQueuedAndKeepsSchedule_WhenSameEventIsEnqueuedAgain()
    {
        var queue = redis.CreateQueue(redis.NewPrefix());
        var first = RedisQueueFixture.Orphan("evt_1");
        await queue.EnqueueAsync([(first, Later)], TestContext.Token);

        var again = await queue.EnqueueAsync([(RedisQueueFixture.Orphan("evt_1", attempts: 3), TimeSpan.Zero)], TestContext.Token);
        var claim = await queue.ClaimAsync(10, TestContext.Token);

        Assert.Equal([EnqueueOutcome.AlreadyQueued], again);
        Assert.Empty(claim.Items);
        var depth = await queue.GetDepthAsync(TestContext.Token);
        Assert.Equal(1, depth.Due);
        Assert.Equal(TimeSpan.Zero, depth.OldestDueAge);
    }

    [Fact]
    public async Task Enqueue_ReturnsAlreadyQueuedAndLeavesLease_WhenItemIsLeased()
    {
        var queue = redis.CreateQueue(redis.NewPrefix());
        var item = RedisQueueFixture.Orphan("evt_1");
        await queue.EnqueueAsync([(item, TimeSpan.Zero)], TestContext.Token);
        var claimed = Assert.Single((await queue.ClaimAsync(10, TestContext.Token)).Items);

        var again = await queue.EnqueueAsync([(RedisQueueFixture.Orphan("evt_1"), TimeSpan.Zero)], TestContext.Token);
        var claim = await queue.ClaimAsync(10, TestContext.Token);

        Assert.Equal([EnqueueOutcome.AlreadyQueued], again);
        Assert.Empty(claim.Items);
        Assert.True(await queue.AckAsync(claimed, TestContext.Token));
        Assert.Equal(new QueueDepth(0, 0, TimeSpan.Zero), await queue.GetDepthAsync(TestContext.Token));
    }

    [Fact]
    public async Task Enqueue_ReturnsFullAndDropsNothing_WhenQueueHoldsMaxLength()
    {
        var prefix = redis.NewPrefix();
        var queue = redis.CreateQueue(prefix, configure: o => o.MaxLength = 3);

        var outcomes = await queue.EnqueueAsync(
            [.. Enumerable.Range(1, 4).Select(i => (RedisQueueFixture.Orphan($"evt_{i}"), TimeSpan.Zero))],
            TestContext.Token);
        var later = await queue.EnqueueAsync([(RedisQueueFixture.Orphan("evt_5"), TimeSpan.Zero), (RedisQueueFixture.Orphan("evt_2"), TimeSpan.Zero)], TestContext.Token);

        Assert.Equal([EnqueueOutcome.Enqueued, EnqueueOutcome.Enqueued, EnqueueOutcome.Enqueued, EnqueueOutcome.Full], outcomes);
        Assert.Equal([EnqueueOutcome.Full, EnqueueOutcome.AlreadyQueued], later);
        Assert.Equal(3, await redis.Redis.GetDatabase().HashLengthAsync(new RetryQueueKeys(prefix).Items));
        var claim = await queue.ClaimAsync(10, TestContext.Token);
        Assert.Equal(["evt_1", "evt_2", "evt_3"], claim.Items.Select(c => c.Item.Event.EventId).Order());
    }

    [Fact]
    public async Task Ack_RemovesItemAndItsIndexMembership_WhenLeaseIsHeld()
    {
        var prefix = redis.NewPrefix();
        var keys = new RetryQueueKeys(prefix);
        var queue = redis.CreateQueue(prefix);
        var item = RedisQueueFixture.Orphan("evt_1");
        await queue.EnqueueAsync([(item, TimeSpan.Zero)], TestContext.Token);
        var index = keys.Index(item.Event.LookupKey);
        Assert.True(await redis.Redis.GetDatabase().SetContainsAsync(index, item.Id));
        var claimed = Assert.Single((await queue.ClaimAsync(10, TestContext.Token)).Items);

        var acked = await queue.AckAsync(claimed, TestContext.Token);
        var ackedAgain = await queue.AckAsync(claimed, TestContext.Token);

        Assert.True(acked);
        Assert.False(ackedAgain);
        var db = redis.Redis.GetDatabase();
        Assert.Equal(0, await db.HashLengthAsync(keys.Items));
        Assert.Equal(0, await db.HashLengthAsync(keys.Tokens));
        Assert.False(await db.KeyExistsAsync(index));
        Assert.Equal(new QueueDepth(0, 0, TimeSpan.Zero), await queue.GetDepthAsync(TestContext.Token));
    }

    [Fact]
    public async Task Reschedule_StoresUpdatedItemAndMakesItDueAfterDelay_WhenLeaseIsHeld()
    {
        // The due time is asserted as the queue stored it, on Redis's clock: the delay after the
        // moment of the reschedule call (bracketed by Redis TIME). That the item is not claimed
        // before it is due is Claim_LeavesItemParked_WhenItIsNotDueYet's job, with a margin of
        // minutes; here a claim is made only once Redis's clock has passed the stored due time.
        const int DelayMs = 1000;
        var prefix = redis.NewPrefix();
        var keys = new RetryQueueKeys(prefix);
        var db = redis.Redis.GetDatabase();
        var queue = redis.CreateQueue(prefix);
        await queue.EnqueueAsync([(RedisQueueFixture.Orphan("evt_1"), TimeSpan.Zero)], TestContext.Token);
        var claimed = Assert.Single((await queue.ClaimAsync(10, TestContext.Token)).Items);
        var updated = claimed.Item with { Attempts = claimed.Item.Attempts + 1, LastFailure = "enrollment not found (attempt 1 of 6)" };

        var before = await RedisClock.NowAsync(db);
        var rescheduled = await queue.RescheduleAsync(claimed, updated, TimeSpan.FromMilliseconds(DelayMs), TestContext.Token);
        var after = await RedisClock.NowAsync(db);
        var dueAt = await RedisClock.ScoreAsync(db, keys.Due, updated.Id);
        var depth = await queue.GetDepthAsync(TestContext.Token);
        await RedisClock.WaitUntilAsync(db, dueAt, TestContext.Token);
        var due = await queue.ClaimAsync(10, TestContext.Token);

        Assert.True(rescheduled);
        Assert.InRange(dueAt, before + DelayMs, after + DelayMs);
        Assert.Equal(1, depth.Due);
        Assert.Equal(0, depth.Leased);
        var reclaimed = Assert.Single(due.Items);
        Assert.Equal(updated, reclaimed.Item);
        Assert.False(await queue.AckAsync(claimed, TestContext.Token));
        Assert.True(await queue.AckAsync(reclaimed, TestContext.Token));
    }

    [Fact]
    public async Task Reschedule_MovesIndexMembership_WhenLookupKeyChanged()
    {
        var prefix = redis.NewPrefix();
        var keys = new RetryQueueKeys(prefix);
        var queue = redis.CreateQueue(prefix);
        await queue.EnqueueAsync([(RedisQueueFixture.Orphan("evt_1", email: "old@example.com"), TimeSpan.Zero)], TestContext.Token);
        var claimed = Assert.Single((await queue.ClaimAsync(10, TestContext.Token)).Items);
        var updated = claimed.Item with { Event = claimed.Item.Event with { Email = "new@example.com" } };

        Assert.True(await queue.RescheduleAsync(claimed, updated, Later, TestContext.Token));

        var db = redis.Redis.GetDatabase();
        Assert.False(await db.KeyExistsAsync(keys.Index(claimed.Item.Event.LookupKey)));
        Assert.True(await db.SetContainsAsync(keys.Index(updated.Event.LookupKey), updated.Id));
        Assert.Equal(1, await queue.PromoteAsync([updated.Event.LookupKey], TestContext.Token));
    }

    [Fact]
    public async Task Release_MakesItemDueNowUnchanged_WhenLeaseIsHeld()
    {
        var queue = redis.CreateQueue(redis.NewPrefix());
        var item = RedisQueueFixture.Orphan("evt_1", attempts: 1);
        await queue.EnqueueAsync([(item, TimeSpan.Zero)], TestContext.Token);
        var claimed = Assert.Single((await queue.ClaimAsync(10, TestContext.Token)).Items);

        var released = await queue.ReleaseAsync(claimed, TestContext.Token);
        var again = Assert.Single((await queue.ClaimAsync(10, TestContext.Token)).Items);

        Assert.True(released);
        Assert.Equal(item, again.Item);
        Assert.True(again.Token > claimed.Token);
        Assert.False(await queue.ReleaseAsync(claimed, TestContext.Token));
    }

    [Fact]
    public async Task Promote_MakesParkedItemsOfThatEnrollmentDueNow_AndLeavesOthersParked()
    {
        var queue = redis.CreateQueue(redis.NewPrefix());
        await queue.EnqueueAsync(
        [
            (RedisQueueFixture.Orphan("ann_1", email: "ann@example.com"), Later),
            (RedisQueueFixture.Orphan("ann_2", email: "ann@example.com"), Later),
            (RedisQueueFixture.Orphan("ann_3", email: "ann@example.com"), TimeSpan.Zero),
            (RedisQueueFixture.Orphan("bob_1", email: "bob@example.com"), Later),
            (RedisQueueFixture.Orphan("ann_other_campaign", email: "ann@example.com", campaignId: "cam_2"), Later),
        ], TestContext.Token);
        var leased = Assert.Single((await queue.ClaimAsync(10, TestContext.Token)).Items);

        var promoted = await queue.PromoteAsync([EnrollmentKeys.ByEmail("cam_1", "ann@example.com")], TestContext.Token);
        var claim = await queue.ClaimAsync(10, TestContext.Token);

        Assert.Equal("ann_3", leased.Item.Event.EventId);
        Assert.Equal(2, promoted);
        Assert.Equal(["ann_1", "ann_2"], claim.Items.Select(c => c.Item.Event.EventId).Order());
        var depth = await queue.GetDepthAsync(TestContext.Token);
        Assert.Equal(2, depth.Due);
        Assert.Equal(3, depth.Leased);
        Assert.True(await queue.AckAsync(leased, TestContext.Token));
    }

    [Fact]
    public async Task Reschedule_MakesItemDueNow_WhenItsEnrollmentArrivedDuringTheLease()
    {
        var queue = redis.CreateQueue(redis.NewPrefix());
        var item = RedisQueueFixture.Orphan("evt_1");
        await queue.EnqueueAsync([(item, TimeSpan.Zero)], TestContext.Token);
        var claimed = Assert.Single((await queue.ClaimAsync(10, TestContext.Token)).Items);

        // The worker looked for the enrollment just before it was committed, then reschedules.
        var promoted = await queue.PromoteAsync([item.Event.LookupKey], TestContext.Token);
        Assert.True(await queue.RescheduleAsync(claimed, claimed.Item with { Attempts = 1 }, Later, TestContext.Token));
        var retried = Assert.Single((await queue.ClaimAsync(10, TestContext.Token)).Items);
        Assert.True(await queue.RescheduleAsync(retried, retried.Item with { Attempts = 2 }, Later, TestContext.Token));
        var afterSecondReschedule = await queue.ClaimAsync(10, TestContext.Token);

        Assert.Equal(0, promoted);
        Assert.Equal(1, retried.Item.Attempts);
        Assert.Empty(afterSecondReschedule.Items);
    }

    [Fact]
    public async Task Promote_FindsItemsByCrmContactId_WhenEventHasNoEmail()
    {
        var queue = redis.CreateQueue(redis.NewPrefix());
        await queue.EnqueueAsync([(RedisQueueFixture.CrmOrphan("hs_1", "901"), Later), (RedisQueueFixture.CrmOrphan("hs_2", "902"), Later)], TestContext.Token);

        var promoted = await queue.PromoteAsync([EnrollmentKeys.ByCrmContact("901"), EnrollmentKeys.ByEmail("cam_1", "nobody@example.com")], TestContext.Token);

        Assert.Equal(1, promoted);
        Assert.Equal("hs_1", Assert.Single((await queue.ClaimAsync(10, TestContext.Token)).Items).Item.Event.EventId);
    }

    [Fact]
    public async Task Promote_ReturnsZero_WhenNoItemWaitsForTheKey()
    {
        var queue = redis.CreateQueue(redis.NewPrefix());
        await queue.EnqueueAsync([(RedisQueueFixture.Orphan("evt_1"), Later)], TestContext.Token);

        Assert.Equal(0, await queue.PromoteAsync([EnrollmentKeys.ByEmail("cam_9", "nobody@example.com")], TestContext.Token));
        Assert.Equal(0, await queue.PromoteAsync([], TestContext.Token));
        Assert.Empty((await queue.ClaimAsync(10, TestContext.Token)).Items);
    }

    [Fact]
    public async Task GetDepth_CountsDueAndLeasedAndOldestDueAge()
    {
        const int AgeMs = 300;
        var prefix = redis.NewPrefix();
        var keys = new RetryQueueKeys(prefix);
        var db = redis.Redis.GetDatabase();
        var queue = redis.CreateQueue(prefix);
        Assert.Equal(new QueueDepth(0, 0, TimeSpan.Zero), await queue.GetDepthAsync(TestContext.Token));

        await queue.EnqueueAsync([(RedisQueueFixture.Orphan("evt_later"), Later)], TestContext.Token);
        var onlyLater = await queue.GetDepthAsync(TestContext.Token);
        var dueNow = Enumerable.Range(1, 3).Select(i => RedisQueueFixture.Orphan($"evt_{i}")).ToList();
        await queue.EnqueueAsync([.. dueNow.Select(item => (item, TimeSpan.Zero))], TestContext.Token);
        // Every due item is at least AgeMs overdue on Redis's clock, whichever one the claim takes.
        var latestDue = 0L;
        foreach (var item in dueNow)
        {
            latestDue = Math.Max(latestDue, await RedisClock.ScoreAsync(db, keys.Due, item.Id));
        }

        await RedisClock.WaitUntilAsync(db, latestDue + AgeMs, TestContext.Token);
        await queue.ClaimAsync(1, TestContext.Token);
        var depth = await queue.GetDepthAsync(TestContext.Token);

        Assert.Equal(new QueueDepth(1, 0, TimeSpan.Zero), onlyLater);
        Assert.Equal(3, depth.Due);
        Assert.Equal(1, depth.Leased);
        Assert.InRange(depth.OldestDueAge, TimeSpan.FromMilliseconds(AgeMs), TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task Keys_ShareOneClusterSlot_AndLiveUnderThePrefix()
    {
        var prefix = redis.NewPrefix();
        var queue = redis.CreateQueue(prefix);
        await queue.EnqueueAsync(
        [
            (RedisQueueFixture.Orphan("evt_1", email: "ann@example.com"), TimeSpan.Zero),
            (RedisQueueFixture.Orphan("evt_2", email: "bob@example.com"), TimeSpan.Zero),
            (RedisQueueFixture.CrmOrphan("evt_3", "901"), Later),
        ], TestContext.Token);
        var claim = await queue.ClaimAsync(1, TestContext.Token);
        await using var cycleLock = await queue.TryAcquireCycleLockAsync(TimeSpan.FromMinutes(1), TestContext.Token);

        var keys = await redis.KeysAsync(prefix);

        var expected = new RetryQueueKeys(prefix);
        Assert.Superset(
            new HashSet<string>(new[] { expected.Due, expected.Items, expected.Leases, expected.Tokens, expected.Fence, expected.CycleLock }.Select(k => k.ToString())),
            new HashSet<string>(keys.Select(k => k.ToString())));
        Assert.Equal(3, keys.Count(k => k.ToString().Contains("{retry}:idx:", StringComparison.Ordinal)));
        Assert.DoesNotContain(keys, k => k.ToString().Contains("example.com", StringComparison.Ordinal));
        Assert.Single(keys.Select(k => redis.Redis.HashSlot(k)).Distinct());
        Assert.Equal(redis.Redis.HashSlot("{retry}"), redis.Redis.HashSlot(keys[0]));
        Assert.Single(claim.Items);
    }

    // Waits until Redis's clock has passed the due time of every item the queue holds as due.
    private async Task WaitUntilAllDueAsync(string prefix)
    {
        var db = redis.Redis.GetDatabase();
        var latest = await db.SortedSetRangeByRankWithScoresAsync(new RetryQueueKeys(prefix).Due, -1, -1);
        await RedisClock.WaitUntilAsync(db, (long)Assert.Single(latest).Score, TestContext.Token);
    }
}
