using Microsoft.Extensions.Logging;
using Npgsql;
using SalesAuto.Core.Events;
using SalesAuto.Core.Http;
using SalesAuto.Core.Observability;
using SalesAuto.Core.Postgres;
using SalesAuto.Core.RetryQueue;

namespace SalesAuto.Core.Enrollments;

/// <summary>
/// The enrollment use cases: upsert an enrollment and release the orphans parked for it, read a
/// campaign's statistics. Typed, validated input in, typed outcomes out; HTTP is
/// <see cref="EnrollmentEndpoints"/>'s business.
/// </summary>
internal sealed class EnrollmentService(EnrollmentStore store, RetryCycle retryCycle, SalesAutoMetrics metrics, ILogger<EnrollmentService> logger)
{
    /// <summary>
    /// Creates or updates the enrollment (idempotent) and applies the orphans parked for it now: up to
    /// <c>RetryQueue:BatchSize</c> of them, the rest made due for the next cycle. When Redis is down
    /// the enrollment is still stored and its orphans are applied on their next scheduled retry
    /// (<see cref="EnrollmentOutcome.Upserted.Released"/> and <see cref="EnrollmentOutcome.Upserted.Applied"/> null).
    /// </summary>
    public async Task<EnrollmentOutcome> UpsertAsync(EnrollmentRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        Enrollment enrollment;
        try
        {
            enrollment = await store.UpsertAsync(request.CampaignId, request.Email, request.CrmContactId, request.CampaignName, cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException exception) when (PostgresFailures.IsOutage(exception) && !cancellationToken.IsCancellationRequested)
        {
            StoreFailed(exception);
            return new EnrollmentOutcome.PostgresUnavailable(Problems.RetryAfterOf(exception));
        }

        try
        {
            List<string> keys = [EnrollmentKeys.ByEmail(enrollment.CampaignId, enrollment.Email)];
            if (enrollment.CrmContactId is { } crm)
            {
                keys.Add(EnrollmentKeys.ByCrmContact(crm));
            }

            var release = await retryCycle.ApplyParkedAsync(keys, cancellationToken).ConfigureAwait(false);
            return new EnrollmentOutcome.Upserted(enrollment, release.Released, release.Applied);
        }
        catch (RetryQueueUnavailableException exception)
        {
            // Stored: its orphans are applied on their next scheduled retry instead of now.
            Log.PromoteFailed(logger, exception);
            return new EnrollmentOutcome.Upserted(enrollment, Released: null, Applied: null);
        }
    }

    /// <summary>The campaign's enrollment count and event counts by type, exact.</summary>
    public async Task<CampaignStatsOutcome> GetCampaignStatsAsync(string campaignId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(campaignId);
        try
        {
            var stats = await store.GetStatsAsync(campaignId, cancellationToken).ConfigureAwait(false);
            return stats is null ? new CampaignStatsOutcome.NotFound() : new CampaignStatsOutcome.Found(stats);
        }
        catch (NpgsqlException exception) when (PostgresFailures.IsOutage(exception) && !cancellationToken.IsCancellationRequested)
        {
            StoreFailed(exception);
            return new CampaignStatsOutcome.PostgresUnavailable();
        }
    }

    // No exception object in the log: Postgres messages can quote row values (an email in a key violation).
    private void StoreFailed(NpgsqlException exception)
    {
        metrics.PostgresErrors.Inc();
        Log.EnrollmentStoreFailed(logger, exception.GetType().Name, (exception as PostgresException)?.SqlState ?? "none");
    }
}

/// <summary>What <see cref="EnrollmentService.UpsertAsync"/> decided.</summary>
internal abstract record EnrollmentOutcome
{
    private EnrollmentOutcome()
    {
    }

    /// <summary>The enrollment is stored.</summary>
    /// <param name="Enrollment">As stored; <see cref="Enrollment.Created"/> says whether this call created it.</param>
    /// <param name="Released">Its parked orphans, all of them; null when Redis could not be reached.</param>
    /// <param name="Applied">Those of them stored by this call; null when Redis could not be reached.</param>
    public sealed record Upserted(Enrollment Enrollment, int? Released, int? Applied) : EnrollmentOutcome;

    /// <summary>Postgres is unavailable: nothing was stored.</summary>
    /// <param name="RetryAfter">When to try again, when the failure says.</param>
    public sealed record PostgresUnavailable(TimeSpan? RetryAfter) : EnrollmentOutcome;
}

/// <summary>What <see cref="EnrollmentService.GetCampaignStatsAsync"/> found.</summary>
internal abstract record CampaignStatsOutcome
{
    private CampaignStatsOutcome()
    {
    }

    /// <summary>The campaign exists.</summary>
    /// <param name="Stats">Its exact statistics.</param>
    public sealed record Found(CampaignStats Stats) : CampaignStatsOutcome;

    /// <summary>No campaign has that id.</summary>
    public sealed record NotFound : CampaignStatsOutcome;

    /// <summary>Postgres is unavailable.</summary>
    public sealed record PostgresUnavailable : CampaignStatsOutcome;
}
