using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace SalesAuto.Core.RetryQueue;

/// <summary>
/// The Redis keys of the retry queue. All share the hash tag <c>{retry}</c> after the configured
/// prefix, so every script's keys hash to one cluster slot (https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/#hash-tags).
/// </summary>
internal sealed class RetryQueueKeys(string prefix)
{
    private readonly string _base = prefix + "{retry}:";

    /// <summary>Sorted set: item id by due time (Unix ms).</summary>
    public RedisKey Due => _base + "due";

    /// <summary>Hash: item id to item JSON.</summary>
    public RedisKey Items => _base + "items";

    /// <summary>Sorted set: item id by lease expiry (Unix ms).</summary>
    public RedisKey Leases => _base + "leases";

    /// <summary>Hash: item id to the fencing token of its current lease.</summary>
    public RedisKey Tokens => _base + "tokens";

    /// <summary>
    /// Set: ids of leased items whose enrollment arrived during the lease (promote cannot make a
    /// leased item due): when its worker reschedules it, it becomes due now instead of after the delay.
    /// </summary>
    public RedisKey Promoted => _base + "promoted";

    /// <summary>String: the fencing-token counter (INCR).</summary>
    public RedisKey Fence => _base + "fence";

    /// <summary>String: the cross-instance cycle lock.</summary>
    public RedisKey CycleLock => _base + "cycle:lock";

    /// <summary>String: when a cycle last completed (Unix ms), read by every instance's health check.</summary>
    public RedisKey CycleCompleted => _base + "cycle:completed";

    /// <summary>
    /// Set: the ids of the items waiting for one enrollment. The lookup key holds an email, so the
    /// key name carries its SHA-256 instead: no personal data in key names.
    /// </summary>
    public RedisKey Index(string lookupKey) =>
        _base + "idx:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(lookupKey)), 0, 16);
}
