using Npgsql;
using NpgsqlTypes;
using SalesAuto.Core.Postgres;
using SalesAuto.Core.Privacy;
using SalesAuto.Core.Resilience;

namespace SalesAuto.Core.Events;

/// <summary>
/// Stores a batch of events in one statement, one round trip: each event finds its enrollment,
/// is inserted with <c>on conflict (source, event_id) do nothing</c>, and comes back as applied,
/// duplicate or orphan. Campaign statistics are counted from the stored rows, so they are exact
/// by construction: there is no counter to drift and no hot counter row for concurrent deliveries
/// to queue on. An event about an erased person (its email or CRM contact id is on the suppression
/// list, compared as keyed hashes under every <c>Privacy:HashKeys</c> key) is not stored, in the
/// same statement, and comes back suppressed (docs/privacy.md).
/// </summary>
/// <remarks>
/// The statement runs through Postgres's circuit breaker (<see cref="DependencyCircuits"/>): a
/// stalled server costs a caller at most <c>Resilience:AttemptTimeout</c>, and nothing once the
/// breaker is open (<see cref="PostgresUnavailableException"/>).
/// </remarks>
internal sealed class PostgresEventProcessor(NpgsqlDataSource dataSource, PrivacyHasher hasher, DependencyCircuits circuits) : IEventProcessor
{
    // Enrollment lookup: by campaign and lower-cased email when the event names both, else by CRM
    // contact id, newest enrollment first (docs/webhooks.md, "Enrollment matching"). Rows are
    // inserted in key order so two batches sharing events lock them in the same order and
    // cannot deadlock each other.
    private const string ApplySql = """
        with input as (
            select *
            from unnest(@ords, @sources, @event_ids, @types, @occurred_at, @campaign_ids, @emails, @crm_contact_ids, @payloads)
                as t(ord, source, event_id, type, occurred_at, campaign_id, email, crm_contact_id, payload)
        ),
        suppressed as (
            select distinct h.ord
            from unnest(@hash_ords, @hashes) as h(ord, hash)
            join suppressions s on s.hash = h.hash
        ),
        resolved as (
            select i.*,
                   sup.ord is not null as suppressed,
                   coalesce(by_email.id, by_crm.id) as enrollment_id,
                   coalesce(by_email.campaign_id, by_crm.campaign_id) as enrollment_campaign_id
            from input i
            left join suppressed sup on sup.ord = i.ord
            left join lateral (
                select e.id, e.campaign_id from enrollments e
                where i.email is not null and i.campaign_id is not null
                  and e.campaign_id = i.campaign_id and e.email = i.email
            ) by_email on true
            left join lateral (
                select e.id, e.campaign_id from enrollments e
                where (i.email is null or i.campaign_id is null) and i.crm_contact_id is not null
                  and e.crm_contact_id = i.crm_contact_id
                order by e.created_at desc, e.id desc
                limit 1
            ) by_crm on true
        ),
        inserted as (
            insert into campaign_events (source, event_id, enrollment_id, campaign_id, type, occurred_at, payload)
            select source, event_id, enrollment_id, enrollment_campaign_id, type, occurred_at, payload
            from resolved
            where enrollment_id is not null and not suppressed
            order by source, event_id
            on conflict (source, event_id) do nothing
            returning source, event_id
        )
        select r.ord,
               case
                   when r.suppressed then 3
                   when ins.event_id is not null then 0
                   when r.enrollment_id is not null then 1
                   when exists (select 1 from campaign_events ce where ce.source = r.source and ce.event_id = r.event_id) then 1
                   else 2
               end as outcome
        from resolved r
        left join inserted ins on ins.source = r.source and ins.event_id = r.event_id
        """;

    // ApplySql for a batch of one (most webhooks carry one event): the same lookups, insert and
    // outcomes, on scalar parameters. Postgres builds a plan's executor state on every execution,
    // and ApplySql's (nine unnests, the hashed suppression join, the sort, the join of the outcomes)
    // was the largest part of its CPU per single event in a perf profile; this one's plan has 18
    // nodes against 24, and no hash table or sort (docs/benchmarks.md, "Issue 15, third pass").
    // EventProcessorTests runs every outcome through both statements.
    private const string ApplyOneSql = """
        with suppressed as (
            select exists (select 1 from suppressions where hash = any(@hashes)) as yes
        ),
        enrollment as (
            select e.id, e.campaign_id from enrollments e
            where @email::text is not null and @campaign_id::text is not null
              and e.campaign_id = @campaign_id and e.email = @email
            union all
            (select e.id, e.campaign_id from enrollments e
             where (@email::text is null or @campaign_id::text is null) and @crm_contact_id::text is not null
               and e.crm_contact_id = @crm_contact_id
             order by e.created_at desc, e.id desc
             limit 1)
        ),
        inserted as (
            insert into campaign_events (source, event_id, enrollment_id, campaign_id, type, occurred_at, payload)
            select @source, @event_id, id, campaign_id, @type, @occurred_at, @payload
            from enrollment
            where not (select yes from suppressed)
            on conflict (source, event_id) do nothing
            returning 1
        )
        select case
                   when (select yes from suppressed) then 3
                   when exists (select 1 from inserted) then 0
                   when exists (select 1 from enrollment) then 1
                   when exists (select 1 from campaign_events ce where ce.source = @source and ce.event_id = @event_id) then 1
                   else 2
               end as outcome
        """;

    // The suppression lock (SuppressionLock), and the generic plan for the rest of this transaction.
    // Planned per set of values (plan_cache_mode auto), ApplySql took ~0.5 ms of planning for
    // ~0.2 ms of execution per single event, on every execution: Postgres keeps custom plans
    // because the generic plan's estimate (ten rows per unnest) costs more than a custom plan for
    // one row, although both plans are the same index probes. set_config(..., true) lasts until the
    // end of the transaction, which this batch's two statements share (docs/benchmarks.md).
    private static readonly string LockSql = SuppressionLock.SharedSql + ", set_config('plan_cache_mode', 'force_generic_plan', true)";

    // The statements with $n for @name, made once, their parameters in the order of their
    // positions. Npgsql sends positional SQL as it is; named parameters make it scan and rewrite the
    // whole statement text on every execution (SqlQueryParser was the top managed frame of the
    // server's CPU profile under single events, docs/benchmarks.md).
    private static readonly string PositionalApplySql = Positional(ApplySql,
        ["ords", "sources", "event_ids", "types", "occurred_at", "campaign_ids", "emails", "crm_contact_ids", "payloads", "hash_ords", "hashes"]);

    private static readonly string PositionalApplyOneSql = Positional(ApplyOneSql,
        ["source", "event_id", "type", "occurred_at", "campaign_id", "email", "crm_contact_id", "payload", "hashes"]);

    /// <inheritdoc />
    public async Task<IReadOnlyList<EventOutcome>> ApplyAsync(IReadOnlyList<CanonicalEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        var outcomes = new EventOutcome[events.Count];
        if (events.Count == 0)
        {
            return outcomes;
        }

        // The same event twice in one batch: the first is sent, the rest are duplicates.
        var firstIndex = new Dictionary<(string, string), int>();
        var unique = new List<int>(events.Count);
        for (var i = 0; i < events.Count; i++)
        {
            if (firstIndex.TryAdd((events[i].Source, events[i].EventId), i))
            {
                unique.Add(i);
            }
            else
            {
                outcomes[i] = EventOutcome.Duplicate;
            }
        }

        // Every identifier of every event, hashed under every key: (ord, hash) pairs.
        var hashOrds = new List<int>();
        var hashes = new List<byte[]>();
        foreach (var i in unique)
        {
            foreach (var identifier in Identifiers(events[i]))
            {
                foreach (var hash in hasher.All(identifier))
                {
                    hashOrds.Add(i);
                    hashes.Add(hash);
                }
            }
        }

        await circuits.Postgres.ExecuteAsync(guarded => PostgresRetry.ExecuteAsync(async token =>
        {
            // The shared suppression lock first, as its own statement: an erase that is writing
            // suppressions waits for this batch to commit, and this statement's snapshot, taken
            // after the lock is granted, sees every suppression committed before (docs/privacy.md).
            // One batch, one round trip, one implicit transaction: the lock and set_config hold for the apply.
            await using var batch = dataSource.CreateBatch();
            batch.BatchCommands.Add(new NpgsqlBatchCommand(LockSql));
            batch.BatchCommands.Add(unique.Count == 1 ? ApplyOne(events[unique[0]], hashes) : Apply(events, unique, hashOrds, hashes));

            await using var reader = await batch.ExecuteReaderAsync(token).ConfigureAwait(false);
            await reader.NextResultAsync(token).ConfigureAwait(false);
            if (unique.Count == 1)
            {
                await reader.ReadAsync(token).ConfigureAwait(false);
                outcomes[unique[0]] = (EventOutcome)reader.GetInt32(0);
                return true;
            }

            while (await reader.ReadAsync(token).ConfigureAwait(false))
            {
                outcomes[reader.GetInt32(0)] = (EventOutcome)reader.GetInt32(1);
            }

            return true;
        }, guarded), cancellationToken).ConfigureAwait(false);

        return outcomes;

        static IEnumerable<PersonIdentifier> Identifiers(CanonicalEvent e)
        {
            if (e.Email is { } email)
            {
                yield return PersonIdentifier.Email(email);
            }

            if (e.CrmContactId is { } crm)
            {
                yield return PersonIdentifier.CrmContact(crm);
            }
        }
    }

    // ApplySql's command: one array per column, the events' indexes as their ords.
    private static NpgsqlBatchCommand Apply(IReadOnlyList<CanonicalEvent> events, List<int> unique, List<int> hashOrds, List<byte[]> hashes)
    {
        var apply = new NpgsqlBatchCommand(PositionalApplySql);
        var parameters = apply.Parameters; // in Positional's order
        parameters.Add(new NpgsqlParameter<int[]> { TypedValue = unique.ToArray() });
        parameters.Add(Text(e => e.Source));
        parameters.Add(Text(e => e.EventId));
        parameters.Add(Text(e => e.Type));
        parameters.Add(new NpgsqlParameter<DateTime[]> { TypedValue = unique.Select(i => events[i].OccurredAt.UtcDateTime).ToArray() });
        parameters.Add(Text(e => e.CampaignId));
        parameters.Add(Text(e => e.Email));
        parameters.Add(Text(e => e.CrmContactId));
        parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb, Value = unique.Select(i => events[i].Payload).ToArray() });
        parameters.Add(new NpgsqlParameter<int[]> { TypedValue = hashOrds.ToArray() });
        parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea, Value = hashes.ToArray() });
        return apply;

        NpgsqlParameter Text(Func<CanonicalEvent, string?> select) =>
            new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = unique.Select(i => select(events[i])).ToArray() };
    }

    // ApplyOneSql's command: the event's fields as they are, every identifier hash of it.
    private static NpgsqlBatchCommand ApplyOne(CanonicalEvent e, List<byte[]> hashes)
    {
        var apply = new NpgsqlBatchCommand(PositionalApplyOneSql);
        var parameters = apply.Parameters; // in Positional's order
        parameters.Add(Text(e.Source));
        parameters.Add(Text(e.EventId));
        parameters.Add(Text(e.Type));
        parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = e.OccurredAt.UtcDateTime });
        parameters.Add(Text(e.CampaignId));
        parameters.Add(Text(e.Email));
        parameters.Add(Text(e.CrmContactId));
        parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = e.Payload });
        parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea, Value = hashes.ToArray() });
        return apply;

        static NpgsqlParameter Text(string? value) => new() { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)value ?? DBNull.Value };
    }

    // sql with $n for each @name, n its position in names.
    private static string Positional(string sql, string[] names) => System.Text.RegularExpressions.Regex.Replace(sql, "@([a-z_]+)", match =>
    {
        var position = Array.IndexOf(names, match.Groups[1].Value) + 1;
        return position > 0
            ? "$" + position.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : throw new InvalidOperationException($"The statement names a parameter its list lacks: {match.Value}");
    });
}
