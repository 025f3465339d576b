using Npgsql;
using SalesAuto.Core.Postgres;
using SalesAuto.Core.Resilience;

namespace SalesAuto.Core.Enrollments;

/// <summary>An enrollment as stored.</summary>
/// <param name="Id">Its id.</param>
/// <param name="CampaignId">The provider's campaign id.</param>
/// <param name="Email">The lower-cased email.</param>
/// <param name="CrmContactId">The CRM contact id, if known.</param>
/// <param name="Created">Whether this call created it.</param>
internal sealed record Enrollment(long Id, string CampaignId, string Email, string? CrmContactId, bool Created);

/// <summary>Exact statistics of one campaign.</summary>
/// <param name="CampaignId">The campaign.</param>
/// <param name="Enrollments">Its enrollments.</param>
/// <param name="Events">Stored events by type.</param>
internal sealed record CampaignStats(string CampaignId, long Enrollments, IReadOnlyDictionary<string, long> Events);

/// <summary>Enrollments and campaign statistics in Postgres.</summary>
internal sealed class EnrollmentStore(NpgsqlDataSource dataSource, DependencyCircuits circuits)
{
    // The campaign row is inserted if missing and renamed only when the name changes, in separate
    // statements: an upsert with DO UPDATE would lock the campaign row on every enrollment and
    // serialize a busy campaign's enrollments on it.
    private const string UpsertSql = """
        insert into campaigns (id, name) values (@campaign_id, @campaign_name) on conflict (id) do nothing;
        update campaigns set name = @campaign_name, updated_at = now()
            where id = @campaign_id and @campaign_name::text is not null and name is distinct from @campaign_name;
        insert into enrollments (campaign_id, email, crm_contact_id)
            values (@campaign_id, @email, @crm_contact_id)
            on conflict (campaign_id, email) do update
                set crm_contact_id = coalesce(excluded.crm_contact_id, enrollments.crm_contact_id),
                    updated_at = now()
            returning id, crm_contact_id, (xmax = 0) as created;
        """;

    private const string StatsSql = """
        select (select count(*) from campaigns where id = @campaign_id),
               (select count(*) from enrollments where campaign_id = @campaign_id);
        select type, count(*) from campaign_events where campaign_id = @campaign_id group by type order by type;
        """;

    /// <summary>Creates the enrollment or updates its CRM contact id; creates the campaign when new.</summary>
    /// <remarks>Guarded by Postgres's circuit breaker: a stalled server answers 503 within <c>Resilience:AttemptTimeout</c>.</remarks>
    public Task<Enrollment> UpsertAsync(string campaignId, string email, string? crmContactId, string? campaignName, CancellationToken cancellationToken) =>
        circuits.Postgres.ExecuteAsync(guarded => PostgresRetry.ExecuteAsync(async token =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(token).ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync(token).ConfigureAwait(false);
            await using var command = new NpgsqlCommand(UpsertSql, connection, transaction);
            command.Parameters.AddWithValue("campaign_id", campaignId);
            command.Parameters.AddWithValue("campaign_name", (object?)campaignName ?? DBNull.Value);
            command.Parameters.AddWithValue("email", email);
            command.Parameters.AddWithValue("crm_contact_id", (object?)crmContactId ?? DBNull.Value);
            Enrollment enrollment;
            await using (var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false))
            {
                await reader.ReadAsync(token).ConfigureAwait(false);
                enrollment = new Enrollment(reader.GetInt64(0), campaignId, email, reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetBoolean(2));
            }

            await transaction.CommitAsync(token).ConfigureAwait(false);
            return enrollment;
        }, guarded), cancellationToken);

    /// <summary>The campaign's exact statistics, or null when the campaign does not exist.</summary>
    /// <remarks>Not bounded by the attempt timeout (a large campaign's count may take longer), but refused at once while the breaker is open.</remarks>
    public async Task<CampaignStats?> GetStatsAsync(string campaignId, CancellationToken cancellationToken)
    {
        circuits.Postgres.ThrowIfOpen();
        await using var command = dataSource.CreateCommand(StatsSql);
        command.Parameters.AddWithValue("campaign_id", campaignId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var exists = reader.GetInt64(0) > 0;
        var enrollments = reader.GetInt64(1);
        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        var events = new SortedDictionary<string, long>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            events[reader.GetString(0)] = reader.GetInt64(1);
        }

        return exists ? new CampaignStats(campaignId, enrollments, events) : null;
    }
}
