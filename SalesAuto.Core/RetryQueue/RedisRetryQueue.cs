namespace SalesAuto.Core.RetryQueue;

// Placeholder so the foundation compiles; the retry-queue issue (4) replaces this file.
internal sealed class RedisRetryQueue : IRetryQueue
{
    public Task<IReadOnlyList<EnqueueOutcome>> EnqueueAsync(IReadOnlyList<(OrphanItem Item, TimeSpan Delay)> items, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<ClaimResult> ClaimAsync(int max, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<bool> AckAsync(ClaimedItem claimed, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<bool> RescheduleAsync(ClaimedItem claimed, OrphanItem updated, TimeSpan delay, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<bool> ReleaseAsync(ClaimedItem claimed, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<int> PromoteAsync(IReadOnlyList<string> lookupKeys, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<QueueDepth> GetDepthAsync(CancellationToken cancellationToken) => Task.FromResult(new QueueDepth(0, 0, TimeSpan.Zero));

    public Task<ICycleLock?> TryAcquireCycleLockAsync(TimeSpan ttl, CancellationToken cancellationToken) => throw new NotSupportedException();
}
