using System.Text;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using SalesAuto.Core.Http;
using SalesAuto.Core.Postgres;

namespace SalesAuto.Core.Audit;

/// <summary>
/// The audit_log table (migrations 0001, 0004): who did what, when, with what outcome. Dead-letter
/// actions write through <see cref="DeadLetters.PostgresDeadLetterStore"/>; privacy actions through
/// here. A person appears only as a keyed hash (subject).
/// </summary>
public sealed class PostgresAuditLog(NpgsqlDataSource dataSource)
{
    /// <summary>The largest list page.</summary>
    public const int MaxPageSize = 200;

    private const string InsertSql = """
        insert into audit_log (actor, action, outcome, subject, detail)
        select * from unnest(@actors, @actions, @outcomes, @subjects, @details::jsonb[])
        """;

    private const string Columns = "id, at, actor, action, outcome, dead_letter_id, subject, detail::text";

    /// <summary>Writes <paramref name="records"/> in one statement, on <paramref name="connection"/> (inside its transaction) when given.</summary>
    public async Task WriteAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken, NpgsqlConnection? connection = null, NpgsqlTransaction? transaction = null)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0)
        {
            return;
        }

        if (connection is not null)
        {
            await using var inTransaction = Command(connection, transaction);
            await inTransaction.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        await PostgresRetry.ExecuteAsync(async token =>
        {
            await using var own = await dataSource.OpenConnectionAsync(token).ConfigureAwait(false);
            await using var command = Command(own, null);
            return await command.ExecuteNonQueryAsync(token).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);

        NpgsqlCommand Command(NpgsqlConnection on, NpgsqlTransaction? within)
        {
            var command = new NpgsqlCommand(InsertSql, on, within);
            command.Parameters.Add(new NpgsqlParameter<string[]>("actors", [.. records.Select(r => r.Actor)]));
            command.Parameters.Add(new NpgsqlParameter<string[]>("actions", [.. records.Select(r => r.Action)]));
            command.Parameters.Add(new NpgsqlParameter<string[]>("outcomes", [.. records.Select(r => r.Outcome)]));
            command.Parameters.Add(new NpgsqlParameter("subjects", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { Value = records.Select(r => r.Subject).ToArray() });
            command.Parameters.Add(new NpgsqlParameter("details", NpgsqlDbType.Array | NpgsqlDbType.Text)
            {
                Value = records.Select(r => r.Detail is null ? null : JsonSerializer.Serialize(r.Detail, JsonDefaults.Options)).ToArray(),
            });
            return command;
        }
    }

    /// <summary>One page, newest first by (at desc, id desc), starting after <paramref name="after"/> (keyset).</summary>
    public async Task<AuditPage> ListAsync(AuditFilter filter, AuditPosition? after, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, MaxPageSize);
        var sql = new StringBuilder($"select {Columns} from audit_log where true");
        await using var command = dataSource.CreateCommand();
        if (filter.Action is { } action)
        {
            sql.Append(" and action = @action");
            command.Parameters.Add(new NpgsqlParameter<string>("action", action));
        }

        if (filter.Actor is { } actor)
        {
            sql.Append(" and actor = @actor");
            command.Parameters.Add(new NpgsqlParameter<string>("actor", actor));
        }

        if (filter.From is { } from)
        {
            sql.Append(" and at >= @from");
            command.Parameters.Add(new NpgsqlParameter<DateTime>("from", from.UtcDateTime));
        }

        if (filter.To is { } to)
        {
            sql.Append(" and at <= @to");
            command.Parameters.Add(new NpgsqlParameter<DateTime>("to", to.UtcDateTime));
        }

        if (after is { } position)
        {
            // Row comparison: served by the (at desc, id desc) indexes as one range.
            sql.Append(" and (at, id) < (@after_at, @after_id)");
            command.Parameters.Add(new NpgsqlParameter<DateTime>("after_at", position.At.UtcDateTime));
            command.Parameters.Add(new NpgsqlParameter<long>("after_id", position.Id));
        }

        sql.Append(" order by at desc, id desc limit @take");
        command.Parameters.Add(new NpgsqlParameter<int>("take", limit + 1));
        command.CommandText = sql.ToString();
        var items = new List<AuditEntry>(limit + 1);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            items.Add(Read(reader));
        }

        var hasMore = items.Count > limit;
        return new AuditPage(hasMore ? items[..limit] : items, hasMore);
    }

    /// <summary>Deletes up to <paramref name="batchSize"/> entries older than <paramref name="cutoff"/>, oldest first; returns how many.</summary>
    public Task<int> DeleteBatchAsync(DateTimeOffset cutoff, int batchSize, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        const string sql = """
            delete from audit_log where id in (
                select id from audit_log where at < @cutoff order by at limit @batch_size for update skip locked)
            """;
        return PostgresRetry.ExecuteAsync(async token =>
        {
            await using var command = dataSource.CreateCommand(sql);
            command.Parameters.Add(new NpgsqlParameter<DateTime>("cutoff", cutoff.UtcDateTime));
            command.Parameters.Add(new NpgsqlParameter<int>("batch_size", batchSize));
            return await command.ExecuteNonQueryAsync(token).ConfigureAwait(false);
        }, cancellationToken);
    }

    /// <summary>Reads one row of <see cref="Columns"/>.</summary>
    internal static AuditEntry Read(NpgsqlDataReader reader) => new(
        reader.GetInt64(0),
        reader.GetFieldValue<DateTimeOffset>(1),
        reader.GetString(2),
        reader.GetString(3),
        reader.GetString(4),
        reader.IsDBNull(5) ? null : reader.GetGuid(5),
        reader.IsDBNull(6) ? null : Convert.ToHexStringLower(reader.GetFieldValue<byte[]>(6)),
        reader.IsDBNull(7) ? null : ParseJson(reader.GetString(7)));

    /// <summary>The select list <see cref="Read"/> reads.</summary>
    internal const string SelectColumns = Columns;

    private static JsonElement ParseJson(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
