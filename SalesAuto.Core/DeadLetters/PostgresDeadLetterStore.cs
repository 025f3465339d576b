using System.Data;
using System.Text;
using System.Text.Json;
using Dapper;
using Npgsql;
using SalesAuto.Core.Events;
using SalesAuto.Core.Postgres;
using SalesAuto.Core.Resilience;

namespace SalesAuto.Core.DeadLetters;

/// <summary>
/// <see cref="IDeadLetterStore"/> on Postgres: the dead_letters table (migrations 0001-0005, 0007),
/// its counts table and the dead-letter rows of audit_log. Every method is one round trip or one
/// short transaction; statements that can meet a concurrent writer are retried on serialization
/// failures and deadlocks (<see cref="PostgresRetry"/>). The list and the detail read their rows
/// with the data reader by ordinal, through one column list and one reader (<c>ReadSummary</c>):
/// the list is the hot read path (docs/benchmarks.md, dead letters at scale).
/// </summary>
internal sealed class PostgresDeadLetterStore(NpgsqlDataSource dataSource, DependencyCircuits circuits) : IDeadLetterStore
{
    private const int MaxSelect = IDeadLetterStore.MaxSelect;

    private const int MaxPageSize = IDeadLetterStore.MaxPageSize;

    /// <summary>
    /// How privacy erase anonymizes a dead letter, here and in <c>PostgresPrivacyStore</c>'s one-statement
    /// erase: the person goes (email, CRM contact id, payload), what the stats count stays, and one left
    /// failed or replaying becomes ignored (resolved): with no payload it cannot be replayed, and
    /// retention deletes it in time. Unqualified columns: the SET of an UPDATE of dead_letters alone.
    /// </summary>
    internal const string AnonymizeSet = """
        set email = null, crm_contact_id = null, payload = '{}'::jsonb, erased_at = now(), updated_at = now(),
            status = case when status in ('failed', 'replaying') then 'ignored' else status end,
            resolved_at = coalesce(resolved_at, now())
        """;

    // The list's and the detail's columns, in the order ReadSummary reads them.
    private const string SummaryColumns = """
        id, source, event_id, type, campaign_id, status, failure_reason,
        attempts, replay_count, first_seen_at, created_at, updated_at, resolved_at
        """;

    // What ReadSummary reads; the detail's payload follows it.
    private const int SummaryColumnCount = 13;

    /// <inheritdoc />
    public async Task AddAsync(IReadOnlyList<NewDeadLetter> deadLetters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deadLetters);
        if (deadLetters.Count == 0)
        {
            return;
        }

        // One row per (source, event id), the last one winning: ON CONFLICT DO UPDATE refuses to touch a row
        // twice in one statement. Sorted by key, so two writers lock the same keys in the same order.
        var rows = deadLetters
            .GroupBy(d => (d.Event.Source, d.Event.EventId))
            .Select(group => group.Last())
            .OrderBy(d => d.Event.Source, StringComparer.Ordinal)
            .ThenBy(d => d.Event.EventId, StringComparer.Ordinal)
            .ToList();
        var parameters = new
        {
            sources = rows.Select(d => d.Event.Source).ToArray(),
            eventIds = rows.Select(d => d.Event.EventId).ToArray(),
            types = rows.Select(d => d.Event.Type).ToArray(),
            campaignIds = rows.Select(d => d.Event.CampaignId).ToArray(),
            occurred = rows.Select(d => d.Event.OccurredAt.UtcDateTime).ToArray(),
            emails = rows.Select(d => d.Event.Email).ToArray(),
            crmContactIds = rows.Select(d => d.Event.CrmContactId).ToArray(),
            payloads = rows.Select(d => d.Event.Payload).ToArray(),
            reasons = rows.Select(d => d.FailureReason).ToArray(),
            attempts = rows.Select(d => d.Attempts).ToArray(),
            firstSeen = rows.Select(d => d.FirstSeenAt.UtcDateTime).ToArray(),
        };

        // A repeat (the cycle crashed between this write and its Redis ack) matches a failed row and
        // changes nothing; a row being replayed whose retry ran out goes back to failed.
        const string sql = """
            insert into dead_letters as d (source, event_id, type, campaign_id, occurred_at, email, crm_contact_id, payload, failure_reason, attempts, first_seen_at)
            select source, event_id, type, campaign_id, occurred_at, email, crm_contact_id, payload::jsonb, failure_reason, attempts, first_seen_at
            from unnest(@sources::text[], @eventIds::text[], @types::text[], @campaignIds::text[], @occurred::timestamptz[],
                        @emails::text[], @crmContactIds::text[], @payloads::text[],
                        @reasons::text[], @attempts::integer[], @firstSeen::timestamptz[])
                 as t(source, event_id, type, campaign_id, occurred_at, email, crm_contact_id, payload, failure_reason, attempts, first_seen_at)
            on conflict (source, event_id) do update
            set status = 'failed', failure_reason = excluded.failure_reason, attempts = excluded.attempts,
                updated_at = now(), resolved_at = null, replay_claimed_until = null
            where d.status = 'replaying'
            """;
        // Through the breaker: the retry cycle writes here, and must not hang on a stalled server.
        await circuits.Postgres.ExecuteAsync(guarded => PostgresRetry.ExecuteAsync(async ct =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
            return await connection.ExecuteAsync(new CommandDefinition(sql, parameters, cancellationToken: ct)).ConfigureAwait(false);
        }, guarded), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task MarkReplayedAsync(IReadOnlyList<Guid> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count == 0)
        {
            return;
        }

        const string sql = """
            update dead_letters set status = 'replayed', resolved_at = now(), updated_at = now(), replay_claimed_until = null
            where id = any(@ids) and status = 'replaying'
            """;
        var parameters = new { ids = ids.Distinct().Order().ToArray() };
        await circuits.Postgres.ExecuteAsync(guarded => PostgresRetry.ExecuteAsync(async ct =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
            return await connection.ExecuteAsync(new CommandDefinition(sql, parameters, cancellationToken: ct)).ConfigureAwait(false);
        }, guarded), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<DeadLetterListPage> ListAsync(DeadLetterFilter filter, DeadLetterPosition? after, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, MaxPageSize);
        circuits.Postgres.ThrowIfOpen();
        await using var command = BuildListCommand(dataSource.CreateCommand(), filter, after, limit + 1);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var items = new List<DeadLetterSummary>(limit);
        var hasMore = false;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (items.Count == limit)
            {
                hasMore = true;
                break;
            }

            items.Add(ReadSummary(reader));
        }

        return new DeadLetterListPage(items, hasMore);
    }

    /// <inheritdoc />
    public async Task<DeadLetterDetail?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        const string sql = $"""
            select {SummaryColumns}, payload::text from dead_letters where id = @id;
            select at, actor, action, outcome, detail::text from audit_log where dead_letter_id = @id order by at, id;
            """;
        circuits.Postgres.ThrowIfOpen();
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<Guid>("id", id));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var summary = ReadSummary(reader);
        var payload = ParseJson(reader.GetString(SummaryColumnCount));
        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        var history = new List<DeadLetterAuditEntry>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            history.Add(new DeadLetterAuditEntry(
                reader.GetFieldValue<DateTimeOffset>(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.GetString(3),
                reader.IsDBNull(4) ? null : ParseJson(reader.GetString(4))));
        }

        return new DeadLetterDetail(summary, payload, history);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<DeadLetterIdResult>> IgnoreAsync(IReadOnlyList<Guid> ids, string actor, JsonElement? detail, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentException.ThrowIfNullOrEmpty(actor);
        if (ids.Count == 0)
        {
            return [];
        }

        // Rows are locked in id order, the order every writer of several dead letters should take,
        // so two ignores cannot deadlock each other; a deadlock with another order is retried.
        const string lockSql = "select id, status from dead_letters where id = any(@ids) order by id for update";
        const string ignoreSql = "update dead_letters set status = 'ignored', resolved_at = now(), updated_at = now() where id = any(@ids)";
        return await PostgresRetry.ExecuteAsync(async ct =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct).ConfigureAwait(false);
            var current = (await connection.QueryAsync<(Guid Id, string Status)>(new CommandDefinition(lockSql, new { ids = ids.ToArray() }, transaction, cancellationToken: ct)).ConfigureAwait(false))
                .ToDictionary(row => row.Id, row => DeadLetterStatuses.Parse(row.Status));
            var results = ids.Select(id => new DeadLetterIdResult(id, current.TryGetValue(id, out var status)
                ? status switch
                {
                    DeadLetterStatus.Failed => DeadLetterIgnoreResults.Ignored,
                    DeadLetterStatus.Ignored => DeadLetterIgnoreResults.AlreadyIgnored,
                    _ => DeadLetterIgnoreResults.NotIgnorable,
                }
                : DeadLetterIgnoreResults.NotFound)).ToList();
            var toIgnore = results.Where(r => r.Result == DeadLetterIgnoreResults.Ignored).Select(r => r.Id).ToArray();
            if (toIgnore.Length > 0)
            {
                await connection.ExecuteAsync(new CommandDefinition(ignoreSql, new { ids = toIgnore }, transaction, cancellationToken: ct)).ConfigureAwait(false);
            }

            await WriteAuditAsync(connection, transaction, actor, DeadLetterAuditActions.Ignore, results.Select(r => (r.Id, r.Result)).ToList(), detail, ct).ConfigureAwait(false);
            await transaction.CommitAsync(ct).ConfigureAwait(false);
            return (IReadOnlyList<DeadLetterIdResult>)results;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task WriteAuditAsync(string actor, string action, IReadOnlyList<(Guid Id, string Outcome)> entries, JsonElement? detail, CancellationToken cancellationToken)
    {
        circuits.Postgres.ThrowIfOpen();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await WriteAuditAsync(connection, null, actor, action, entries, detail, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<Guid>> SelectIdsAsync(DeadLetterFilter filter, IReadOnlyCollection<DeadLetterStatus>? statuses, int max, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(max, MaxSelect);
        circuits.Postgres.ThrowIfOpen();
        await using var command = dataSource.CreateCommand();
        var sql = new StringBuilder("select id from dead_letters");
        AppendWhere(sql, command.Parameters, filter, statuses, after: null);
        sql.Append(" order by created_at desc, id desc limit @take");
        command.Parameters.Add(new NpgsqlParameter<int>("take", max));
        command.CommandText = sql.ToString();
        var ids = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            ids.Add(reader.GetGuid(0));
        }

        return ids;
    }

    /// <inheritdoc />
    public async Task<int> CountAsync(DeadLetterFilter filter, IReadOnlyCollection<DeadLetterStatus>? statuses, int cap, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentOutOfRangeException.ThrowIfLessThan(cap, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(cap, MaxSelect + 1);
        circuits.Postgres.ThrowIfOpen();
        await using var command = dataSource.CreateCommand();
        var sql = new StringBuilder("select count(*)::integer from (select 1 from dead_letters");
        AppendWhere(sql, command.Parameters, filter, statuses, after: null);
        sql.Append(" limit @cap) as matching");
        command.Parameters.Add(new NpgsqlParameter<int>("cap", cap));
        command.CommandText = sql.ToString();
        return (int)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <inheritdoc />
    public async Task<DeadLetterStats> GetStatsAsync(CancellationToken cancellationToken)
    {
        // Counts that fell to zero keep their row; they are not reported.
        const string sql = """
            select source, type, status, count from dead_letter_counts where count <> 0 order by source, type, status;
            select floor(extract(epoch from now() - min(created_at)))::bigint from dead_letters where status in ('failed', 'replaying');
            """;
        circuits.Postgres.ThrowIfOpen();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition(sql, cancellationToken: cancellationToken)).ConfigureAwait(false);
        var counts = (await results.ReadAsync<(string Source, string Type, string Status, long Count)>().ConfigureAwait(false))
            .Select(row => new DeadLetterCount(row.Source, row.Type, DeadLetterStatuses.Parse(row.Status), row.Count))
            .ToList();
        var oldestAge = await results.ReadSingleAsync<long?>().ConfigureAwait(false);
        var byStatus = DeadLetterStatuses.All.ToDictionary(status => status.ToName(), status => counts.Where(c => c.Status == status).Sum(c => c.Count));
        return new DeadLetterStats(byStatus, counts, oldestAge is { } age ? Math.Max(0, age) : null, counts.Sum(c => c.Count));
    }

    /// <inheritdoc />
    public async Task<long> CountUnresolvedAsync(CancellationToken cancellationToken)
    {
        // dead_letter_counts is kept exact by triggers: a handful of rows, whatever the table's size.
        await using var command = dataSource.CreateCommand("select coalesce(sum(count), 0)::bigint from dead_letter_counts where status in ('failed', 'replaying')");
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<DeadLetterClaim>> ClaimForReplayAsync(IReadOnlyList<Guid> ids, bool includeIgnored, bool force, TimeSpan claimTimeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        const string sql = """
            with target as (
                select id, status, replay_claimed_until from dead_letters where id = any(@ids) order by id for update
            ),
            claimed as (
                update dead_letters d
                set status = 'replaying', replay_count = d.replay_count + 1, updated_at = now(), resolved_at = null,
                    replay_claimed_until = now() + @claim_timeout
                from target t
                where d.id = t.id and d.erased_at is null and (t.status = 'failed' or (@include_ignored and t.status = 'ignored')
                      or (t.status = 'replaying' and (@force or t.replay_claimed_until < now())))
                returning d.id, d.source, d.event_id, d.type, coalesce(d.occurred_at, d.first_seen_at) as occurred_at,
                          d.campaign_id, d.email, d.crm_contact_id, d.payload::text as payload, d.first_seen_at
            )
            select t.id, t.status, c.source, c.event_id, c.type, c.occurred_at, c.campaign_id, c.email, c.crm_contact_id, c.payload, c.first_seen_at
            from target t left join claimed c on c.id = t.id
            """;
        return await PostgresRetry.ExecuteAsync(async token =>
        {
            var claims = new List<DeadLetterClaim>(ids.Count);
            await using var command = dataSource.CreateCommand(sql);
            command.Parameters.Add(new NpgsqlParameter<Guid[]>("ids", [.. ids.Order()]));
            command.Parameters.Add(new NpgsqlParameter<bool>("include_ignored", includeIgnored));
            command.Parameters.Add(new NpgsqlParameter<bool>("force", force));
            command.Parameters.Add(new NpgsqlParameter<TimeSpan>("claim_timeout", claimTimeout));
            await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
            while (await reader.ReadAsync(token).ConfigureAwait(false))
            {
                var id = reader.GetGuid(0);
                var status = DeadLetterStatuses.Parse(reader.GetString(1));
                if (reader.IsDBNull(2))
                {
                    claims.Add(new DeadLetterClaim(id, status, null, default));
                    continue;
                }

                var evt = new CanonicalEvent(
                    reader.GetString(2),
                    reader.GetString(3),
                    reader.GetString(4),
                    reader.GetFieldValue<DateTimeOffset>(5),
                    reader.IsDBNull(6) ? null : reader.GetString(6),
                    reader.IsDBNull(7) ? null : reader.GetString(7),
                    reader.IsDBNull(8) ? null : reader.GetString(8),
                    reader.GetString(9));
                claims.Add(new DeadLetterClaim(id, status, evt, reader.GetFieldValue<DateTimeOffset>(10)));
            }

            return (IReadOnlyList<DeadLetterClaim>)claims;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task RevertClaimsAsync(IReadOnlyList<(Guid Id, DeadLetterStatus Previous)> claims, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claims);
        if (claims.Count == 0)
        {
            return;
        }

        // One that was replaying already (a forced replay, or the cycle's recovery) keeps an
        // expired claim, so the next cycle tries it again.
        const string sql = """
            update dead_letters d set status = r.previous, updated_at = now(),
                   resolved_at = case when r.previous = 'ignored' then now() end,
                   replay_claimed_until = case when r.previous = 'replaying' then now() end
            from unnest(@ids, @previous) as r(id, previous)
            where d.id = r.id and d.status = 'replaying'
            """;
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<Guid[]>("ids", [.. claims.Select(c => c.Id)]));
        command.Parameters.Add(new NpgsqlParameter<string[]>("previous", [.. claims.Select(c => c.Previous.ToName())]));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task ReleaseClaimsAsync(IReadOnlyList<Guid> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count == 0)
        {
            return;
        }

        // From then on the cycle resolves the row (replayed, or failed again when attempts run out), not the claim's expiry.
        await using var command = dataSource.CreateCommand("update dead_letters set replay_claimed_until = null where id = any(@ids) and status = 'replaying'");
        command.Parameters.Add(new NpgsqlParameter<Guid[]>("ids", [.. ids]));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<Guid>> FindExpiredClaimsAsync(int max, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        const string sql = """
            select id from dead_letters
            where status = 'replaying' and replay_claimed_until < now()
            order by replay_claimed_until
            limit @max
            """;
        var ids = new List<Guid>();
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<int>("max", max));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            ids.Add(reader.GetGuid(0));
        }

        return ids;
    }

    /// <inheritdoc />
    public async Task<int> DeleteResolvedBatchAsync(DateTimeOffset cutoff, int batchSize, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);

        // SKIP LOCKED: a row a replay is holding is left for the next run rather than waited for.
        // FOR UPDATE re-reads a row that changed since the snapshot, and the outer condition repeats
        // the status test, so a row a replay took back to replaying is never deleted.
        const string sql = """
            delete from dead_letters
            where id in (
                select id from dead_letters
                where status in ('replayed', 'ignored') and resolved_at < @cutoff
                order by resolved_at
                limit @batchSize
                for update skip locked)
            and status in ('replayed', 'ignored')
            """;
        // The count triggers lock dead_letter_counts rows: against a concurrent replay or ignore that
        // locks the same rows in another order this can deadlock, and running it again is the cure.
        return await PostgresRetry.ExecuteAsync(async ct =>
        {
            await using var command = dataSource.CreateCommand(sql);
            command.Parameters.Add(new NpgsqlParameter<DateTime>("cutoff", cutoff.UtcDateTime));
            command.Parameters.Add(new NpgsqlParameter<int>("batchSize", batchSize));
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<int> EraseAsync(IReadOnlyList<Guid> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        const string sql = $"""
            update dead_letters
            {AnonymizeSet}
            where id = any(@ids)
            """;
        return PostgresRetry.ExecuteAsync(async token =>
        {
            await using var command = dataSource.CreateCommand(sql);
            command.Parameters.Add(new NpgsqlParameter<Guid[]>("ids", [.. ids.Distinct().Order()]));
            return await command.ExecuteNonQueryAsync(token).ConfigureAwait(false);
        }, cancellationToken);
    }

    /// <summary>
    /// The list query on <paramref name="command"/>, for <see cref="ListAsync"/> and the plan tests:
    /// <paramref name="take"/> rows after <paramref name="after"/>, in the order of <see cref="ReadSummary"/>.
    /// </summary>
    internal static NpgsqlCommand BuildListCommand(NpgsqlCommand command, DeadLetterFilter filter, DeadLetterPosition? after, int take)
    {
        var sql = new StringBuilder($"select {SummaryColumns} from dead_letters");
        AppendWhere(sql, command.Parameters, filter, statuses: null, after);
        sql.Append(" order by created_at desc, id desc limit @take");
        command.Parameters.Add(new NpgsqlParameter<int>("take", take));
        command.CommandText = sql.ToString();
        return command;
    }

    // Only the criteria given become conditions: each query is planned for the filters it has,
    // not as a generic "(@x is null or col = @x)" that no index serves.
    private static void AppendWhere(StringBuilder sql, NpgsqlParameterCollection parameters, DeadLetterFilter filter, IReadOnlyCollection<DeadLetterStatus>? statuses, DeadLetterPosition? after)
    {
        var conditions = new List<string>();
        if (filter.Status is { } status)
        {
            conditions.Add("status = @status");
            parameters.Add(new NpgsqlParameter<string>("status", status.ToName()));
        }

        if (statuses is not null)
        {
            conditions.Add("status = any(@statuses)");
            parameters.Add(new NpgsqlParameter<string[]>("statuses", statuses.Select(s => s.ToName()).Distinct().ToArray()));
        }

        if (filter.Source is not null)
        {
            conditions.Add("source = @source");
            parameters.Add(new NpgsqlParameter<string>("source", filter.Source));
        }

        if (filter.Type is not null)
        {
            conditions.Add("type = @type");
            parameters.Add(new NpgsqlParameter<string>("type", filter.Type));
        }

        if (filter.From is { } from)
        {
            conditions.Add("created_at >= @from");
            parameters.Add(new NpgsqlParameter<DateTime>("from", from.UtcDateTime));
        }

        if (filter.To is { } to)
        {
            conditions.Add("created_at <= @to");
            parameters.Add(new NpgsqlParameter<DateTime>("to", to.UtcDateTime));
        }

        if (after is { } position)
        {
            // A row comparison: the index on (created_at desc, id desc) starts right after the cursor.
            conditions.Add("(created_at, id) < (@afterCreatedAt, @afterId)");
            parameters.Add(new NpgsqlParameter<DateTime>("afterCreatedAt", position.CreatedAt.UtcDateTime));
            parameters.Add(new NpgsqlParameter<Guid>("afterId", position.Id));
        }

        if (conditions.Count > 0)
        {
            sql.Append(" where ").AppendJoin(" and ", conditions);
        }
    }

    // Reads one row of SummaryColumns by ordinal (the list's and the detail's): no mapper, no intermediate row object.
    private static DeadLetterSummary ReadSummary(NpgsqlDataReader reader) => new(
        reader.GetGuid(0),
        reader.GetString(1),
        reader.GetString(2),
        reader.GetString(3),
        reader.IsDBNull(4) ? null : reader.GetString(4),
        DeadLetterStatuses.Parse(reader.GetString(5)),
        reader.GetString(6),
        reader.GetInt32(7),
        reader.GetInt32(8),
        reader.GetFieldValue<DateTimeOffset>(9),
        reader.GetFieldValue<DateTimeOffset>(10),
        reader.GetFieldValue<DateTimeOffset>(11),
        reader.IsDBNull(12) ? null : reader.GetFieldValue<DateTimeOffset>(12));

    private static async Task WriteAuditAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string actor, string action, IReadOnlyList<(Guid Id, string Outcome)> entries, JsonElement? detail, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(actor);
        if (action is not (DeadLetterAuditActions.Replay or DeadLetterAuditActions.Ignore))
        {
            throw new ArgumentOutOfRangeException(nameof(action), action, "The audit action is replay or ignore.");
        }

        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0)
        {
            return;
        }

        const string sql = """
            insert into audit_log (actor, action, dead_letter_id, outcome, detail)
            select @actor, @action, t.id, t.outcome, @detail::jsonb
            from unnest(@ids::uuid[], @outcomes::text[]) with ordinality as t(id, outcome, ord)
            order by t.ord
            """;
        var parameters = new
        {
            actor,
            action,
            ids = entries.Select(e => e.Id).ToArray(),
            outcomes = entries.Select(e => e.Outcome).ToArray(),
            detail = detail is { ValueKind: not JsonValueKind.Undefined and not JsonValueKind.Null } d ? d.GetRawText() : null,
        };
        await connection.ExecuteAsync(new CommandDefinition(sql, parameters, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    private static JsonElement ParseJson(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
