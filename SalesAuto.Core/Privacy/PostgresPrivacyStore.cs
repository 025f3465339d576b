using System.Text.Json.Serialization;
using Npgsql;
using NpgsqlTypes;
using SalesAuto.Core.Audit;
using SalesAuto.Core.DeadLetters;
using SalesAuto.Core.Postgres;

namespace SalesAuto.Core.Privacy;

/// <summary>What erase found (or, in a dry run, would erase) in Postgres.</summary>
/// <param name="Enrollments">Enrollments that lost the person's email and CRM contact id.</param>
/// <param name="Events">Events that lost their payload.</param>
/// <param name="DeadLetters">Dead letters that lost email, CRM contact id and payload.</param>
internal sealed record PostgresEraseCounts(long Enrollments, long Events, long DeadLetters)
{
    /// <summary>Whether anything was found.</summary>
    [JsonIgnore]
    public bool Any => Enrollments + Events + DeadLetters > 0;
}

/// <summary>
/// The person's rows in Postgres, for privacy erase (docs/privacy.md). Erase anonymizes: rows keep
/// what campaign statistics count (campaign, type, times) and lose the person (email, CRM contact
/// id, payload), so statistics stay exactly what they were. Every statement is idempotent: erased
/// rows no longer match, so a repeat finds nothing left to do.
/// </summary>
internal sealed class PostgresPrivacyStore(NpgsqlDataSource dataSource, PrivacyHasher hasher, PostgresAuditLog audit)
{
    // The person's other identifiers, linked through their enrollments and dead letters: erasing
    // an email also erases and suppresses the CRM contact ids enrolled with it, and the other way
    // round. Erased rows hold neither, so a repeat after a crash resolves what is still there.
    private const string ResolveSql = """
        select email, crm_contact_id from enrollments where email = @email or crm_contact_id = @crm
        union
        select email, crm_contact_id from dead_letters where email = @email or crm_contact_id = @crm
        """;

    private const string CountSql = """
        with target as (select id from enrollments where email = any(@emails) or crm_contact_id = any(@crms))
        select (select count(*) from target),
               (select count(*) from campaign_events where enrollment_id in (select id from target) and erased_at is null),
               (select count(*) from dead_letters where email = any(@emails) or crm_contact_id = any(@crms))
        """;

    // Enrollments are locked in id order, as every writer of several of them should, so two erases
    // cannot deadlock each other. Dead letters are anonymized as the dead-letter store's erase by id
    // does it (PostgresDeadLetterStore.AnonymizeSet). The count triggers of dead_letters keep the
    // dead-letter stats exact.
    private const string EraseSql = $$"""
        with target as (
            select id from enrollments where email = any(@emails) or crm_contact_id = any(@crms) order by id for update
        ),
        events as (
            update campaign_events e set payload = '{}'::jsonb, erased_at = now()
            from target t where e.enrollment_id = t.id and e.erased_at is null
            returning 1
        ),
        erased_enrollments as (
            update enrollments n set email = null, crm_contact_id = null, erased_at = now(), updated_at = now()
            from target t where n.id = t.id
            returning 1
        ),
        dead as (
            update dead_letters
            {{PostgresDeadLetterStore.AnonymizeSet}}
            where email = any(@emails) or crm_contact_id = any(@crms)
            returning 1
        )
        select (select count(*) from erased_enrollments), (select count(*) from events), (select count(*) from dead)
        """;

    /// <summary>Every email and CRM contact id that names the same person as <paramref name="given"/>, itself included.</summary>
    public async Task<PersonIdentifiers> ResolveAsync(PersonIdentifier given, CancellationToken cancellationToken)
    {
        var emails = new SortedSet<string>(StringComparer.Ordinal);
        var crms = new SortedSet<string>(StringComparer.Ordinal);
        (given.Kind == IdentifierKind.Email ? emails : crms).Add(given.Value);
        await PostgresRetry.ExecuteAsync(async token =>
        {
            await using var command = dataSource.CreateCommand(ResolveSql);
            command.Parameters.Add(Text("email", given.Kind == IdentifierKind.Email ? given.Value : null));
            command.Parameters.Add(Text("crm", given.Kind == IdentifierKind.CrmContactId ? given.Value : null));
            await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
            while (await reader.ReadAsync(token).ConfigureAwait(false))
            {
                if (!reader.IsDBNull(0))
                {
                    emails.Add(reader.GetString(0));
                }

                if (!reader.IsDBNull(1))
                {
                    crms.Add(reader.GetString(1));
                }
            }

            return true;
        }, cancellationToken).ConfigureAwait(false);
        return new PersonIdentifiers([.. emails], [.. crms]);
    }

    /// <summary>Puts every identifier of <paramref name="person"/> on the suppression list (current key); idempotent.</summary>
    public Task<int> SuppressAsync(PersonIdentifiers person, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(person);
        var hashes = person.All.Select(hasher.Current).ToArray();
        return PostgresRetry.ExecuteAsync(async token =>
        {
            // Under the exclusive suppression lock: waits for event batches being stored right now
            // to commit (so the Postgres step of this erase sees their rows), and every batch after
            // this commit sees the suppression.
            await using var connection = await dataSource.OpenConnectionAsync(token).ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync(token).ConfigureAwait(false);
            await using var command = new NpgsqlCommand(
                SuppressionLock.ExclusiveSql + ";\ninsert into suppressions (hash) select unnest(@hashes) order by 1 on conflict (hash) do nothing",
                connection,
                transaction);
            command.Parameters.Add(new NpgsqlParameter("hashes", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { Value = hashes });
            var added = await command.ExecuteNonQueryAsync(token).ConfigureAwait(false);
            await transaction.CommitAsync(token).ConfigureAwait(false);
            return added;
        }, cancellationToken);
    }

    /// <summary>What <see cref="EraseAsync"/> would change now (a dry run).</summary>
    public Task<PostgresEraseCounts> CountAsync(PersonIdentifiers person, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(person);
        return PostgresRetry.ExecuteAsync(async token =>
        {
            await using var command = dataSource.CreateCommand(CountSql);
            AddIdentifiers(command, person);
            await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
            await reader.ReadAsync(token).ConfigureAwait(false);
            return new PostgresEraseCounts(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
        }, cancellationToken);
    }

    /// <summary>
    /// Anonymizes the person's enrollments, events and dead letters and writes the audit row that
    /// <paramref name="auditFor"/> makes of the counts, in one transaction: either all of it happened or none.
    /// </summary>
    public Task<PostgresEraseCounts> EraseAsync(PersonIdentifiers person, Func<PostgresEraseCounts, AuditRecord> auditFor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(person);
        ArgumentNullException.ThrowIfNull(auditFor);
        return PostgresRetry.ExecuteAsync(async token =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(token).ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync(token).ConfigureAwait(false);
            PostgresEraseCounts counts;
            await using (var command = new NpgsqlCommand(EraseSql, connection, transaction))
            {
                AddIdentifiers(command, person);
                await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
                await reader.ReadAsync(token).ConfigureAwait(false);
                counts = new PostgresEraseCounts(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
            }

            await audit.WriteAsync([auditFor(counts)], token, connection, transaction).ConfigureAwait(false);
            await transaction.CommitAsync(token).ConfigureAwait(false);
            return counts;
        }, cancellationToken);
    }

    /// <summary>Writes one audit row on its own.</summary>
    public Task WriteAuditAsync(AuditRecord record, CancellationToken cancellationToken) =>
        audit.WriteAsync([record], cancellationToken);

    internal static void AddIdentifiers(NpgsqlCommand command, PersonIdentifiers person)
    {
        command.Parameters.Add(new NpgsqlParameter<string[]>("emails", [.. person.Emails]));
        command.Parameters.Add(new NpgsqlParameter<string[]>("crms", [.. person.CrmContactIds]));
    }

    private static NpgsqlParameter Text(string name, string? value) =>
        new(name, NpgsqlDbType.Text) { Value = (object?)value ?? DBNull.Value };
}
