using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SalesAuto.Core.Events;
using SalesAuto.Core.Observability;
using SalesAuto.Core.RetryQueue;
using SalesAuto.Core.Tests.Infrastructure;
using StackExchange.Redis;

namespace SalesAuto.Core.Tests.RetryQueue;

/// <summary>
/// A connection to the shared test Redis (or, in <see cref="ClusterQueueFixture"/>, the shared Redis
/// Cluster) and a key prefix unique to one test class; each queue a test creates gets a prefix of
/// its own under it, so tests never see each other's items. Every key under the class's prefix is
/// deleted afterwards.
/// </summary>
public class RedisQueueFixture : IAsyncLifetime
{
    private int _queues;

    public RedisQueueFixture()
        : this(TestEnvironment.RedisConnectionString)
    {
    }

    protected RedisQueueFixture(string connectionString)
    {
        ConnectionString = connectionString;
    }

    public string Prefix { get; } = TestEnvironment.UniqueName("rq") + ":";

    public ConnectionMultiplexer Redis { get; private set; } = null!;

    public string ConnectionString { get; }

    public async Task InitializeAsync() => Redis = await ConnectionMultiplexer.ConnectAsync(ConnectionString);

    /// <summary>A key prefix no other queue of this run uses.</summary>
    public string NewPrefix() => $"{Prefix}{Interlocked.Increment(ref _queues)}:";

    internal static RedisRetryQueue CreateQueue(IConnectionMultiplexer redis, string prefix, SalesAutoMetrics? metrics = null, Action<RetryQueueOptions>? configure = null)
    {
        var options = new RetryQueueOptions { KeyPrefix = prefix, Delays = [.. RetryQueueOptions.DefaultDelays] };
        configure?.Invoke(options);
        metrics ??= new SalesAutoMetrics();
        return new RedisRetryQueue(redis, Options.Create(options), metrics, NullLogger<RedisRetryQueue>.Instance, TestCircuits.Create(metrics));
    }

    internal RedisRetryQueue CreateQueue(string prefix, SalesAutoMetrics? metrics = null, Action<RetryQueueOptions>? configure = null) =>
        CreateQueue(Redis, prefix, metrics, configure);

    /// <summary>Every key under <paramref name="prefix"/>, found with SCAN.</summary>
    public async Task<List<RedisKey>> KeysAsync(string prefix)
    {
        var keys = new List<RedisKey>();
        foreach (var endPoint in Redis.GetEndPoints())
        {
            await foreach (var key in Redis.GetServer(endPoint).KeysAsync(pattern: prefix + "*", pageSize: 1000))
            {
                keys.Add(key);
            }
        }

        return keys;
    }

    public async Task DisposeAsync()
    {
        var keys = await KeysAsync(Prefix);
        // One DEL per slot: a cluster refuses a multi-key command across slots (CROSSSLOT).
        foreach (var chunk in keys.GroupBy(k => Redis.HashSlot(k)).SelectMany(slot => slot.Chunk(500)))
        {
            await Redis.GetDatabase().KeyDeleteAsync(chunk);
        }

        await Redis.DisposeAsync();
    }

    /// <summary>An orphan with every field set, waiting for the enrollment of <paramref name="email"/> in <paramref name="campaignId"/>.</summary>
    public static OrphanItem Orphan(string eventId, string email = "ann@example.com", string campaignId = "cam_1", int attempts = 0) =>
        new(
            new CanonicalEvent(
                "lemlist",
                eventId,
                "email.opened",
                new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.FromHours(2)),
                campaignId,
                email,
                "901",
                $$"""{"_id":"{{eventId}}","type":"emailsOpened","leadEmail":"{{email}}","note":"quotes \" and ünïcode and\nnew lines"}"""),
            attempts,
            new DateTimeOffset(2026, 11, 23, 10, 0, 1, 500, TimeSpan.FromHours(-5)),
            ReplayOf: Guid.NewGuid(),
            LastFailure: attempts == 0 ? null : $"enrollment not found (attempt {attempts})");

    /// <summary>An orphan without an email: it waits for the enrollment with this CRM contact id.</summary>
    public static OrphanItem CrmOrphan(string eventId, string crmContactId) =>
        new(
            new CanonicalEvent("hubspot", eventId, "contact.updated", DateTimeOffset.UnixEpoch, null, null, crmContactId, """{"objectId":1}"""),
            0,
            DateTimeOffset.UnixEpoch);
}
