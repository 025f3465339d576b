using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SalesAuto.Core.Http;
using SalesAuto.Core.Observability;
using SalesAuto.Core.Resilience;
using StackExchange.Redis;

namespace SalesAuto.Core.RetryQueue;

/// <summary>
/// The retry queue on Redis (docs/retry-queue.md): a due-time sorted set, an item hash, a lease
/// sorted set with fencing tokens and a per-enrollment index, all under one hash tag. Every state
/// change is one Lua script (RetryQueue/Scripts/*.lua) that reads the Redis clock, so instances
/// with skewed clocks agree.
/// </summary>
/// <remarks>
/// StackExchange.Redis takes no cancellation token: a cancelled call stops waiting for Redis but
/// the script may still run there. Every operation leaves a safe state either way: an abandoned
/// claim leaves its items leased until the lease expires, then they are reclaimed; an abandoned
/// ack, reschedule or release leaves the item leased or settled, never lost; an abandoned enqueue
/// is repeated by the provider's redelivery, and enqueue is idempotent.
/// </remarks>
internal sealed class RedisRetryQueue : IRetryQueue
{
    // One claim reclaims at most this many expired leases, so a call stays short even after many
    // workers died at once; the rest are reclaimed by the following claims.
    private const int ReclaimLimit = 1000;

    // Items per enqueue or ack script: a whole batch in one round trip; a bigger list is split
    // into scripts, so no single script blocks Redis for long.
    private const int MaxItemsPerCall = 200;

    private readonly IConnectionMultiplexer _redis;
    private readonly RetryQueueOptions _options;
    private readonly RetryQueueKeys _keys;
    private readonly SalesAutoMetrics _metrics;
    private readonly ILogger<RedisRetryQueue> _logger;

    private readonly DependencyCircuit _circuit;

    public RedisRetryQueue(IConnectionMultiplexer redis, IOptions<RetryQueueOptions> options, SalesAutoMetrics metrics, ILogger<RedisRetryQueue> logger, DependencyCircuits circuits)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(circuits);
        _circuit = circuits.Redis;
        _redis = redis;
        _options = options.Value;
        _keys = new RetryQueueKeys(_options.KeyPrefix);
        _metrics = metrics;
        _logger = logger;
    }

    public async Task<IReadOnlyList<EnqueueOutcome>> EnqueueAsync(IReadOnlyList<(OrphanItem Item, TimeSpan Delay)> items, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        foreach (var (item, delay) in items)
        {
            ArgumentNullException.ThrowIfNull(item);
            ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        }

        if (items.Count == 0)
        {
            return [];
        }

        var chunks = await Task.WhenAll(items.Chunk(MaxItemsPerCall).Select(chunk => EnqueueChunkAsync(chunk, cancellationToken))).ConfigureAwait(false);
        return [.. chunks.SelectMany(outcomes => outcomes)];
    }

    public async Task<ClaimResult> ClaimAsync(int max, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        var result = (RedisResult[])(await EvaluateAsync(
            RetryQueueScripts.Claim,
            [_keys.Due, _keys.Leases, _keys.Tokens, _keys.Fence, _keys.Items, _keys.Promoted],
            [max, Milliseconds(_options.Lease), ReclaimLimit],
            cancellationToken).ConfigureAwait(false))!;

        var reclaimed = (int)result[0];
        var missing = (int)result[1];
        if (reclaimed > 0)
        {
            _metrics.OrphansReclaimed.Inc(reclaimed);
        }

        if (missing > 0)
        {
            Log.ItemsWithoutBody(_logger, missing);
        }

        return new ClaimResult(ReadClaimed(result, 2), reclaimed);
    }

    // {id, token, json} triples from `start` on; an unreadable body stays leased (Deserialize).
    private List<ClaimedItem> ReadClaimed(RedisResult[] result, int start)
    {
        var claimed = new List<ClaimedItem>((result.Length - start) / 3);
        for (var i = start; i + 2 < result.Length; i += 3)
        {
            var id = (string)result[i]!;
            var item = Deserialize(id, (string)result[i + 2]!);
            if (item is not null)
            {
                claimed.Add(new ClaimedItem(item, (long)result[i + 1]));
            }
        }

        return claimed;
    }

    public async Task<bool> AckAsync(ClaimedItem claimed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claimed);
        return (await AckAsync([claimed], cancellationToken).ConfigureAwait(false))[0];
    }

    public async Task<IReadOnlyList<bool>> AckAsync(IReadOnlyList<ClaimedItem> claimed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claimed);
        var acked = new List<bool>(claimed.Count);
        foreach (var chunk in claimed.Chunk(MaxItemsPerCall))
        {
            RedisKey[] keys = [_keys.Leases, _keys.Tokens, _keys.Items, _keys.Promoted, .. chunk.Select(c => _keys.Index(c.Item.Event.LookupKey))];
            RedisValue[] values = [.. chunk.SelectMany(c => new RedisValue[] { c.Item.Id, c.Token })];
            var result = (int[])(await EvaluateAsync(RetryQueueScripts.Ack, keys, values, cancellationToken).ConfigureAwait(false))!;
            acked.AddRange(result.Select(r => r == 1));
        }

        return acked;
    }

    public async Task<bool> RescheduleAsync(ClaimedItem claimed, OrphanItem updated, TimeSpan delay, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claimed);
        ArgumentNullException.ThrowIfNull(updated);
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        if (updated.Id != claimed.Item.Id)
        {
            throw new ArgumentException("The updated item must be the claimed item (same source and event id).", nameof(updated));
        }

        var result = await EvaluateAsync(
            RetryQueueScripts.Reschedule,
            [_keys.Leases, _keys.Tokens, _keys.Items, _keys.Due, _keys.Index(claimed.Item.Event.LookupKey), _keys.Index(updated.Event.LookupKey), _keys.Promoted],
            [claimed.Item.Id, claimed.Token, Serialize(updated), Milliseconds(delay)],
            cancellationToken).ConfigureAwait(false);
        return (int)result == 1;
    }

    public async Task<bool> ReleaseAsync(ClaimedItem claimed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claimed);
        var result = await EvaluateAsync(
            RetryQueueScripts.Release,
            [_keys.Leases, _keys.Tokens, _keys.Due, _keys.Promoted],
            [claimed.Item.Id, claimed.Token],
            cancellationToken).ConfigureAwait(false);
        return (int)result == 1;
    }

    public async Task<int> PromoteAsync(IReadOnlyList<string> lookupKeys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lookupKeys);
        if (lookupKeys.Count == 0)
        {
            return 0;
        }

        RedisKey[] keys = [_keys.Due, _keys.Leases, _keys.Promoted, .. lookupKeys.Distinct(StringComparer.Ordinal).Select(_keys.Index)];
        var result = await EvaluateAsync(RetryQueueScripts.Promote, keys, [], cancellationToken).ConfigureAwait(false);
        return (int)result;
    }

    public async Task<PromoteClaimResult> PromoteAndClaimAsync(IReadOnlyList<string> lookupKeys, int max, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lookupKeys);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        if (lookupKeys.Count == 0)
        {
            return new PromoteClaimResult([], 0);
        }

        RedisKey[] keys = [_keys.Due, _keys.Leases, _keys.Tokens, _keys.Fence, _keys.Items, _keys.Promoted, .. lookupKeys.Distinct(StringComparer.Ordinal).Select(_keys.Index)];
        var result = (RedisResult[])(await EvaluateAsync(RetryQueueScripts.PromoteClaim, keys, [max, Milliseconds(_options.Lease)], cancellationToken).ConfigureAwait(false))!;
        return new PromoteClaimResult(ReadClaimed(result, 1), (int)result[0]);
    }

    public async Task<QueueDepth> GetDepthAsync(CancellationToken cancellationToken)
    {
        var result = (long[])(await EvaluateAsync(RetryQueueScripts.Depth, [_keys.Due, _keys.Leases], [], cancellationToken).ConfigureAwait(false))!;
        return new QueueDepth(result[0], result[1], TimeSpan.FromMilliseconds(result[2]));
    }

    public async Task<ICycleLock?> TryAcquireCycleLockAsync(TimeSpan ttl, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ttl, TimeSpan.FromMilliseconds(1));
        var token = (long)await EvaluateAsync(
            RetryQueueScripts.LockAcquire,
            [_keys.CycleLock, _keys.Fence],
            [Milliseconds(ttl)],
            cancellationToken).ConfigureAwait(false);
        return token == 0 ? null : new CycleLock(this, token);
    }

    private async Task<IEnumerable<EnqueueOutcome>> EnqueueChunkAsync((OrphanItem Item, TimeSpan Delay)[] chunk, CancellationToken cancellationToken)
    {
        var keys = new RedisKey[2 + chunk.Length];
        var values = new RedisValue[1 + (3 * chunk.Length)];
        keys[0] = _keys.Items;
        keys[1] = _keys.Due;
        values[0] = _options.MaxLength;
        for (var i = 0; i < chunk.Length; i++)
        {
            var (item, delay) = chunk[i];
            keys[2 + i] = _keys.Index(item.Event.LookupKey);
            values[1 + (3 * i)] = item.Id;
            values[2 + (3 * i)] = Serialize(item);
            values[3 + (3 * i)] = Milliseconds(delay);
        }

        var result = (int[])(await EvaluateAsync(RetryQueueScripts.Enqueue, keys, values, cancellationToken).ConfigureAwait(false))!;
        return result.Select(code => code switch
        {
            0 => EnqueueOutcome.Enqueued,
            1 => EnqueueOutcome.AlreadyQueued,
            _ => EnqueueOutcome.Full,
        });
    }

    // Runs one script, through Redis's circuit breaker (DependencyCircuits): a stalled Redis costs
    // the caller at most Resilience:AttemptTimeout, and nothing while the breaker is open. An
    // outage (no connection, a timeout, a server that is loading, read-only after a failover, out
    // of memory, an open breaker, ...) becomes RetryQueueUnavailableException: the caller answers
    // 503 or ends its cycle, and the work is retried. Any other server error (a Lua error, a wrong
    // key type) is a bug: it is logged and thrown as it is, never disguised as an outage.
    private async Task<RedisResult> EvaluateAsync(RetryQueueScript script, RedisKey[] keys, RedisValue[] values, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            // The string overload loads the script once per server (SCRIPT LOAD) and then sends
            // EVALSHA; after a Redis restart or SCRIPT FLUSH the server answers NOSCRIPT, the
            // client forgets its hashes and sends the script again.
            return await _circuit.ExecuteAsync(token => _redis.GetDatabase().ScriptEvaluateAsync(script.Text, keys, values).WaitAsync(token), cancellationToken).ConfigureAwait(false);
        }
        catch (RetryQueueUnavailableException exception)
        {
            // Refused by the open breaker or timed out: counted like any other outage.
            _metrics.RedisErrors.Inc();
            Log.Unavailable(_logger, script.Name, exception.InnerException?.GetType().Name ?? exception.GetType().Name, exception);
            throw;
        }
        catch (Exception exception) when (DependencyFailures.IsRedisOutage(exception))
        {
            _metrics.RedisErrors.Inc();
            Log.Unavailable(_logger, script.Name, exception.GetType().Name, exception);
            throw new RetryQueueUnavailableException($"The retry queue is unavailable: Redis failed the {script.Name} script ({Describe(exception)}).", exception);
        }
        catch (RedisException exception)
        {
            _metrics.RedisErrors.Inc();
            Log.ScriptFailed(_logger, script.Name, exception);
            throw;
        }
    }

    private static string Describe(Exception exception) => exception switch
    {
        RedisConnectionException connection => $"connection {connection.FailureType}",
        RedisTimeoutException => "timeout",
        RedisServerException server => $"server {server.Kind}",
        _ => exception.GetType().Name,
    };

    private static string Serialize(OrphanItem item) => JsonSerializer.Serialize(item, JsonDefaults.Options);

    // A body that cannot be read (written by an incompatible version) stays leased and is logged;
    // it is reclaimed after the lease and logged again, never dropped silently.
    private OrphanItem? Deserialize(string id, string json)
    {
        try
        {
            return JsonSerializer.Deserialize<OrphanItem>(json, JsonDefaults.Options) ?? throw new JsonException("null item");
        }
        catch (JsonException exception)
        {
            Log.ItemUnreadable(_logger, id.Replace('\n', '/'), exception);
            return null;
        }
    }

    // Rounded up: a delay is never shorter than asked.
    private static long Milliseconds(TimeSpan duration) => (long)Math.Ceiling(duration.TotalMilliseconds);

    private sealed class CycleLock(RedisRetryQueue queue, long token) : ICycleLock
    {
        private int _disposed;

        public long Token => token;

        public async Task<bool> ExtendAsync(TimeSpan ttl, CancellationToken cancellationToken)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(ttl, TimeSpan.FromMilliseconds(1));
            var result = await queue.EvaluateAsync(
                RetryQueueScripts.LockExtend,
                [queue._keys.CycleLock],
                [token, Milliseconds(ttl)],
                cancellationToken).ConfigureAwait(false);
            return (int)result == 1;
        }

        // Frees the lock if this holder still has it. Disposal never throws for an outage: the
        // lock then simply expires after its ttl.
        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 1)
            {
                return;
            }

            try
            {
                await queue.EvaluateAsync(RetryQueueScripts.LockRelease, [queue._keys.CycleLock], [token], CancellationToken.None).ConfigureAwait(false);
            }
            catch (RetryQueueUnavailableException)
            {
                // Counted and logged by EvaluateAsync.
            }
        }
    }
}

/// <summary>A Lua script of the queue, read from its embedded file.</summary>
internal sealed record RetryQueueScript(string Name, string Text);

/// <summary>
/// The queue's scripts, read once from the embedded RetryQueue/Scripts/*.lua files, each with
/// common.lua (the clock and the lease check) in front of it.
/// </summary>
internal static class RetryQueueScripts
{
    private static readonly string Common = Read("common");

    public static readonly RetryQueueScript Enqueue = Load("enqueue");
    public static readonly RetryQueueScript Claim = Load("claim");
    public static readonly RetryQueueScript Ack = Load("ack");
    public static readonly RetryQueueScript Reschedule = Load("reschedule");
    public static readonly RetryQueueScript Release = Load("release");
    public static readonly RetryQueueScript Promote = Load("promote");
    public static readonly RetryQueueScript PromoteClaim = Load("promote_claim");
    public static readonly RetryQueueScript Depth = Load("depth");
    public static readonly RetryQueueScript LockAcquire = Load("lock_acquire");
    public static readonly RetryQueueScript LockExtend = Load("lock_extend");
    public static readonly RetryQueueScript LockRelease = Load("lock_release");
    public static readonly RetryQueueScript Forget = Load("forget");

    private static RetryQueueScript Load(string name) => new(name, Common + "\n" + Read(name));

    private static string Read(string name)
    {
        var resource = $"SalesAuto.Core.RetryQueue.Scripts.{name}.lua";
        using var stream = typeof(RetryQueueScripts).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The embedded script {resource} is missing.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
