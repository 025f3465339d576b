using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.Options;
using SalesAuto.Core.Http;
using SalesAuto.Core.Observability;
using SalesAuto.Core.Privacy;
using StackExchange.Redis;

namespace SalesAuto.Core.RetryQueue;

/// <summary>
/// The retry queue's items seen as personal data (docs/privacy.md): find the parked orphans about
/// a person, forget them. Orphans have no enrollment, so they cannot be found by an index: finding
/// them reads the whole item hash (HSCAN, a page at a time, never blocking Redis), which costs
/// time in proportion to the queue's length (at most <c>RetryQueue:MaxLength</c>).
/// </summary>
internal interface IParkedOrphans
{
    /// <summary>Every queued item (parked or leased) whose event names one of <paramref name="person"/>'s emails or CRM contact ids.</summary>
    /// <exception cref="RetryQueueUnavailableException">Redis could not be reached.</exception>
    IAsyncEnumerable<OrphanItem> FindAsync(PersonIdentifiers person, CancellationToken cancellationToken);

    /// <summary>Removes <paramref name="items"/> and their index entries whatever their state; idempotent; returns how many were still there.</summary>
    /// <exception cref="RetryQueueUnavailableException">Redis could not be reached.</exception>
    Task<int> ForgetAsync(IReadOnlyList<OrphanItem> items, CancellationToken cancellationToken);
}

/// <inheritdoc />
internal sealed class RedisParkedOrphans(IConnectionMultiplexer redis, IOptions<RetryQueueOptions> options, SalesAutoMetrics metrics) : IParkedOrphans
{
    private const int PageSize = 1000;
    private const int MaxItemsPerCall = 200;

    private readonly RetryQueueKeys _keys = new(options.Value.KeyPrefix);

    public async IAsyncEnumerable<OrphanItem> FindAsync(PersonIdentifiers person, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(person);
        var entries = redis.GetDatabase().HashScanAsync(_keys.Items, pageSize: PageSize).WithCancellation(cancellationToken).ConfigureAwait(false);
        var enumerator = entries.GetAsyncEnumerator();
        try
        {
            while (true)
            {
                HashEntry entry;
                try
                {
                    if (!await enumerator.MoveNextAsync())
                    {
                        break;
                    }

                    entry = enumerator.Current;
                }
                catch (Exception exception) when (exception is RedisConnectionException or RedisTimeoutException)
                {
                    metrics.RedisErrors.Inc();
                    throw new RetryQueueUnavailableException("The retry queue is unavailable: Redis failed while its items were read.", exception);
                }

                // An item written by an incompatible version cannot be matched; the queue logs it when it claims it.
                OrphanItem? item;
                try
                {
                    item = JsonSerializer.Deserialize<OrphanItem>((string)entry.Value!, JsonDefaults.Options);
                }
                catch (JsonException)
                {
                    continue;
                }

                if (item is not null && person.Matches(item.Event.Email, item.Event.CrmContactId))
                {
                    yield return item;
                }
            }
        }
        finally
        {
            await enumerator.DisposeAsync();
        }
    }

    public async Task<int> ForgetAsync(IReadOnlyList<OrphanItem> items, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        var removed = 0;
        foreach (var chunk in items.Chunk(MaxItemsPerCall))
        {
            RedisKey[] keys = [_keys.Items, _keys.Due, _keys.Leases, _keys.Tokens, _keys.Promoted, .. chunk.Select(item => _keys.Index(item.Event.LookupKey))];
            RedisValue[] values = [.. chunk.Select(item => (RedisValue)item.Id)];
            try
            {
                removed += (int)await redis.GetDatabase().ScriptEvaluateAsync(RetryQueueScripts.Forget.Text, keys, values).WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is RedisConnectionException or RedisTimeoutException)
            {
                metrics.RedisErrors.Inc();
                throw new RetryQueueUnavailableException("The retry queue is unavailable: Redis failed the forget script.", exception);
            }
        }

        return removed;
    }
}
