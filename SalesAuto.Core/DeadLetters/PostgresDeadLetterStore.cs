using System.Data;
using System.Text;
using System.Text.Json;
using Dapper;
using Npgsql;
using SalesAuto.Core.Postgres;
using SalesAuto.Core.Resilience;

namespace SalesAuto.Core.DeadLetters;

/// <summary>
/// The dead_letters and audit_log tables (migrations 0001, 0002), through Dapper. The retry cycle
/// writes through <see cref="IDeadLetterStore"/>; the admin API lists, reads, ignores and counts.
/// Every method is one round trip or one short transaction; transactions that can meet a
/// concurrent writer are retried on serialization failures and deadlocks (<see cref="PostgresRetry"/>).
/// </summary>
public sealed class PostgresDeadLetterStore(NpgsqlDataSource dataSource, DependencyCircuits circuits) : IDeadLetterStore
{
    /// <summary>The most ids <see cref="SelectIdsAsync"/> returns: replay-by-filter's hard cap.</summary>
    public const int MaxSelect = 10_000;

    /// <summary>The largest list page.</summary>
    public const int MaxPageSize = 200;

    private const string SummaryColumns = """
        id, source, event_id as eventid, type, campaign_id as campaignid, status, failure_reason as failurereason,
        attempts, replay_count as replaycount, first_seen_at as firstseenat, created_at as createdat,
        updated_at as updatedat, resolved_at as resolvedat
        """;

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

    /// <summary>
    /// One page of the list, newest first by (created_at desc, id desc), starting after
    /// <paramref name="after"/> (keyset: the page costs the same however deep it is).
    /// </summary>
    public async Task<DeadLetterListPage> ListAsync(DeadLetterFilter filter, DeadLetterPosition? after, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, MaxPageSize);
        var (sql, parameters) = BuildListQuery(filter, after, limit + 1);
        circuits.Postgres.ThrowIfOpen();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = (await connection.QueryAsync<SummaryRow>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken)).ConfigureAwait(false)).ToList();
        var hasMore = rows.Count > limit;
        return new DeadLetterListPage(rows.Take(limit).Select(row => row.ToSummary()).ToList(), hasMore);
    }

    /// <summary>One dead letter with its payload and its audit entries oldest first, or null when no dead letter has this id.</summary>
    public async Task<DeadLetterDetail?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        const string sql = $"""
            select {SummaryColumns}, payload::text as payload from dead_letters where id = @id;
            select at, actor, action, outcome, detail::text as detail from audit_log where dead_letter_id = @id order by at, id;
            """;
        circuits.Postgres.ThrowIfOpen();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition(sql, new { id }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        var row = await results.ReadSingleOrDefaultAsync<SummaryRow>().ConfigureAwait(false);
        var history = (await results.ReadAsync<AuditRow>().ConfigureAwait(false)).Select(audit => audit.ToEntry()).ToList();
        return row is null ? null : new DeadLetterDetail(row.ToSummary(), ParseJson(row.Payload!), history);
    }

    /// <summary>
    /// Marks failed dead letters ignored (resolved now) and writes one audit row per id, in one
    /// transaction. Results are in the order of <paramref name="ids"/>: <c>ignored</c>,
    /// <c>already_ignored</c>, <c>not_found</c> or <c>not_ignorable</c> (replaying or replayed),
    /// see <see cref="DeadLetterIgnoreResults"/>.
    /// </summary>
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

    /// <summary>
    /// Writes one audit_log row per entry, in one statement. <paramref name="action"/> is
    /// <c>replay</c> or <c>ignore</c> (<see cref="DeadLetterAuditActions"/>); <paramref name="detail"/>
    /// (an ignore reason, a replay filter) is stored as jsonb on every row and must not hold
    /// <c>\u0000</c> or a lone surrogate, which jsonb refuses: validate client text first.
    /// </summary>
    public async Task WriteAuditAsync(string actor, string action, IReadOnlyList<(Guid Id, string Outcome)> entries, JsonElement? detail, CancellationToken cancellationToken)
    {
        circuits.Postgres.ThrowIfOpen();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await WriteAuditAsync(connection, null, actor, action, entries, detail, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The ids matching <paramref name="filter"/>, newest first, at most <paramref name="max"/>
    /// (1..<see cref="MaxSelect"/>): the dead letters a replay-by-filter acts on. When
    /// <paramref name="statuses"/> is given, only dead letters in one of them (on top of the
    /// filter's own status, if any), e.g. failed, plus ignored when the request includes them.
    /// </summary>
    public async Task<IReadOnlyList<Guid>> SelectIdsAsync(DeadLetterFilter filter, IReadOnlyCollection<DeadLetterStatus>? statuses, int max, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(max, MaxSelect);
        var parameters = new DynamicParameters();
        var sql = new StringBuilder("select id from dead_letters");
        AppendWhere(sql, parameters, filter, statuses, after: null);
        sql.Append(" order by created_at desc, id desc limit @take");
        parameters.Add("take", max);
        circuits.Postgres.ThrowIfOpen();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return (await connection.QueryAsync<Guid>(new CommandDefinition(sql.ToString(), parameters, cancellationToken: cancellationToken)).ConfigureAwait(false)).ToList();
    }

    /// <summary>
    /// How many dead letters <see cref="SelectIdsAsync"/> would find, counting no further than
    /// <paramref name="cap"/> (1..<see cref="MaxSelect"/> + 1), so a dry run stays cheap on a large
    /// table: a result equal to the cap means "at least".
    /// </summary>
    public async Task<int> CountAsync(DeadLetterFilter filter, IReadOnlyCollection<DeadLetterStatus>? statuses, int cap, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentOutOfRangeException.ThrowIfLessThan(cap, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(cap, MaxSelect + 1);
        var parameters = new DynamicParameters();
        var sql = new StringBuilder("select count(*)::integer from (select 1 from dead_letters");
        AppendWhere(sql, parameters, filter, statuses, after: null);
        sql.Append(" limit @cap) as matching");
        parameters.Add("cap", cap);
        circuits.Postgres.ThrowIfOpen();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<int>(new CommandDefinition(sql.ToString(), parameters, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>
    /// Counts by status and by source, type and status, read from dead_letter_counts (kept exact
    /// by triggers), and the age of the oldest unresolved dead letter (the first entry of a partial
    /// index): a few rows read whatever the table's size.
    /// </summary>
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

    /// <summary>The list query, for <see cref="ListAsync"/> and the plan tests: <paramref name="take"/> rows after <paramref name="after"/>.</summary>
    internal static (string Sql, DynamicParameters Parameters) BuildListQuery(DeadLetterFilter filter, DeadLetterPosition? after, int take)
    {
        var parameters = new DynamicParameters();
        var sql = new StringBuilder($"select {SummaryColumns} from dead_letters");
        AppendWhere(sql, parameters, filter, statuses: null, after);
        sql.Append(" order by created_at desc, id desc limit @take");
        parameters.Add("take", take);
        return (sql.ToString(), parameters);
    }

    // Only the criteria given become conditions: each query is planned for the filters it has,
    // not as a generic "(@x is null or col = @x)" that no index serves.
    private static void AppendWhere(StringBuilder sql, DynamicParameters parameters, DeadLetterFilter filter, IReadOnlyCollection<DeadLetterStatus>? statuses, DeadLetterPosition? after)
    {
        var conditions = new List<string>();
        if (filter.Status is { } status)
        {
            conditions.Add("status = @status");
            parameters.Add("status", status.ToName());
        }

        if (statuses is not null)
        {
            conditions.Add("status = any(@statuses)");
            parameters.Add("statuses", statuses.Select(s => s.ToName()).Distinct().ToArray());
        }

        if (filter.Source is not null)
        {
            conditions.Add("source = @source");
            parameters.Add("source", filter.Source);
        }

        if (filter.Type is not null)
        {
            conditions.Add("type = @type");
            parameters.Add("type", filter.Type);
        }

        if (filter.From is { } from)
        {
            conditions.Add("created_at >= @from");
            parameters.Add("from", from.UtcDateTime);
        }

        if (filter.To is { } to)
        {
            conditions.Add("created_at <= @to");
            parameters.Add("to", to.UtcDateTime);
        }

        if (after is { } position)
        {
            // A row comparison: the index on (created_at desc, id desc) starts right after the cursor.
            conditions.Add("(created_at, id) < (@afterCreatedAt, @afterId)");
            parameters.Add("afterCreatedAt", position.CreatedAt.UtcDateTime);
            parameters.Add("afterId", position.Id);
        }

        if (conditions.Count > 0)
        {
            sql.Append(" where ").AppendJoin(" and ", conditions);
        }
    }

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

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    // Dapper maps columns to these by name; Npgsql reads timestamptz as UTC DateTime.
    private sealed class SummaryRow
    {
        public Guid Id { get; init; }

        public string Source { get; init; } = string.Empty;

        public string EventId { get; init; } = string.Empty;

        public string Type { get; init; } = string.Empty;

        public string? CampaignId { get; init; }

        public string Status { get; init; } = string.Empty;

        public string FailureReason { get; init; } = string.Empty;

        public int Attempts { get; init; }

        public int ReplayCount { get; init; }

        public DateTime FirstSeenAt { get; init; }

        public DateTime CreatedAt { get; init; }

        public DateTime UpdatedAt { get; init; }

        public DateTime? ResolvedAt { get; init; }

        public string? Payload { get; init; }

        public DeadLetterSummary ToSummary() => new(
            Id, Source, EventId, Type, CampaignId, DeadLetterStatuses.Parse(Status), FailureReason, Attempts, ReplayCount,
            Utc(FirstSeenAt), Utc(CreatedAt), Utc(UpdatedAt), ResolvedAt is { } resolved ? Utc(resolved) : null);
    }

    private sealed class AuditRow
    {
        public DateTime At { get; init; }

        public string Actor { get; init; } = string.Empty;

        public string Action { get; init; } = string.Empty;

        public string Outcome { get; init; } = string.Empty;

        public string? Detail { get; init; }

        public DeadLetterAuditEntry ToEntry() => new(Utc(At), Actor, Action, Outcome, Detail is null ? null : ParseJson(Detail));
    }
}
