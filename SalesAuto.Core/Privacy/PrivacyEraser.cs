using Microsoft.Extensions.Logging;
using SalesAuto.Core.Audit;
using SalesAuto.Core.RetryQueue;

namespace SalesAuto.Core.Privacy;

/// <summary>The answer of an erase: counts per store.</summary>
/// <param name="DryRun">Nothing was changed; the counts are what an erase would change now.</param>
/// <param name="Found">Whether anything about the person was found.</param>
/// <param name="Postgres">Rows anonymized in Postgres.</param>
/// <param name="Redis">Parked orphans removed from Redis.</param>
internal sealed record EraseResult(bool DryRun, bool Found, PostgresEraseCounts Postgres, RedisEraseCounts Redis);

/// <summary>What erase removed (or would remove) from Redis.</summary>
/// <param name="Orphans">Parked orphans (with their index entries).</param>
internal sealed record RedisEraseCounts(long Orphans);

/// <summary>
/// Erases a person everywhere (docs/privacy.md) in steps that are each idempotent, in an order
/// that makes a crash at any point harmless, so repeating the erase finishes it:
/// <list type="number">
/// <item>resolve: the person's emails and CRM contact ids, linked through their enrollments (read only);</item>
/// <item>suppress: their keyed hashes go on the suppression list first, so nothing about them is
/// stored again from here on, whatever the later steps do;</item>
/// <item>Redis: their parked orphans are removed (with their index entries);</item>
/// <item>Postgres: their enrollments, events and dead letters are anonymized and the audit row is
/// written, in one transaction. Last, because it removes the links step 1 reads: a crash before it
/// leaves them, so a repeat finds every identifier again.</item>
/// </list>
/// </summary>
internal sealed class PrivacyEraser(PostgresPrivacyStore store, IParkedOrphans orphans, PrivacyHasher hasher, ILogger<PrivacyEraser> logger)
{
    /// <summary>Erases (or, with <paramref name="dryRun"/>, counts) everything held about <paramref name="given"/>; audited under <paramref name="actor"/>.</summary>
    public async Task<EraseResult> EraseAsync(PersonIdentifier given, bool dryRun, string actor, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(actor);
        var person = await store.ResolveAsync(given, cancellationToken).ConfigureAwait(false);
        var subject = hasher.Current(given);
        if (dryRun)
        {
            var wouldPostgres = await store.CountAsync(person, cancellationToken).ConfigureAwait(false);
            var wouldRedis = await CountOrphansAsync(person, cancellationToken).ConfigureAwait(false);
            var dry = new EraseResult(true, wouldPostgres.Any || wouldRedis > 0, wouldPostgres, new RedisEraseCounts(wouldRedis));
            await store.WriteAuditAsync(Audit(actor, "dry_run", subject, dry), cancellationToken).ConfigureAwait(false);
            return dry;
        }

        // From here on the erase runs to its end even if the caller goes away: stopping half-way is
        // safe (a repeat finishes it), but finishing now is better.
        await SuppressAsync(person, CancellationToken.None).ConfigureAwait(false);
        var removed = await EraseRedisAsync(person, CancellationToken.None).ConfigureAwait(false);
        var postgres = await store.EraseAsync(
            person,
            counts => Audit(actor, counts.Any || removed > 0 ? "erased" : "nothing_found", subject, new EraseResult(false, counts.Any || removed > 0, counts, new RedisEraseCounts(removed))),
            CancellationToken.None).ConfigureAwait(false);
        var result = new EraseResult(false, postgres.Any || removed > 0, postgres, new RedisEraseCounts(removed));
        Log.Erased(logger, actor, postgres.Enrollments, postgres.Events, postgres.DeadLetters, removed);
        return result;
    }

    /// <summary>Step 2: the suppression list. Internal so a test can stop an erase after any step.</summary>
    internal Task<int> SuppressAsync(PersonIdentifiers person, CancellationToken cancellationToken) =>
        store.SuppressAsync(person, cancellationToken);

    /// <summary>Step 3: the parked orphans. Internal so a test can stop an erase after any step.</summary>
    internal async Task<int> EraseRedisAsync(PersonIdentifiers person, CancellationToken cancellationToken)
    {
        var found = new List<OrphanItem>();
        await foreach (var item in orphans.FindAsync(person, cancellationToken).ConfigureAwait(false))
        {
            found.Add(item);
        }

        return found.Count == 0 ? 0 : await orphans.ForgetAsync(found, cancellationToken).ConfigureAwait(false);
    }

    private async Task<long> CountOrphansAsync(PersonIdentifiers person, CancellationToken cancellationToken)
    {
        long count = 0;
        await foreach (var _ in orphans.FindAsync(person, cancellationToken).ConfigureAwait(false))
        {
            count++;
        }

        return count;
    }

    private static AuditRecord Audit(string actor, string outcome, byte[] subject, EraseResult result) =>
        new(actor, AuditActions.Erase, outcome, subject, new
        {
            dryRun = result.DryRun,
            postgres = result.Postgres,
            redis = result.Redis,
        });
}
