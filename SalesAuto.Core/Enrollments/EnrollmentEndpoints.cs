using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Npgsql;
using SalesAuto.Core.Events;
using SalesAuto.Core.Http;
using SalesAuto.Core.Observability;
using SalesAuto.Core.Postgres;
using SalesAuto.Core.RetryQueue;

namespace SalesAuto.Core.Enrollments;

/// <summary><c>POST /api/enrollments</c> and <c>GET /api/campaigns/{campaignId}/stats</c>, shared by both hosts.</summary>
public sealed partial class EnrollmentEndpoints(EnrollmentStore store, RetryCycle retryCycle, SalesAutoMetrics metrics, ILogger<EnrollmentEndpoints> logger)
{
    /// <summary>The longest campaign or CRM contact id accepted.</summary>
    public const int MaxIdLength = 200;

    /// <summary>
    /// Creates or updates an enrollment (idempotent: 201 when created, 200 when it existed) and
    /// applies the orphans parked for it in the same request: up to <c>RetryQueue:BatchSize</c> of
    /// them, the rest made due for the next cycle ("released": all of them, "applied": those stored
    /// now). When Redis is down the enrollment is still stored and the orphans are applied on their
    /// next scheduled retry ("released" and "applied": null).
    /// </summary>
    public async Task<IResult> UpsertAsync(HttpContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var body = await JsonRequestBody.ReadObjectAsync(context.Request, JsonRequestBody.DefaultMaxBytes, cancellationToken).ConfigureAwait(false);
        if (!body.IsValid)
        {
            return body.Problem;
        }

        var root = body.Body;
        var problems = new[]
        {
            JsonRequestBody.RequiredString(root, "campaignId", MaxIdLength, out var campaignId),
            JsonRequestBody.RequiredEmail(root, "email", out var email),
            JsonRequestBody.OptionalString(root, "crmContactId", MaxIdLength, out var crmContactId),
            JsonRequestBody.OptionalString(root, "campaignName", 500, out var campaignName, identifier: false),
        };
        if (problems.FirstOrDefault(p => p is not null) is { } problem)
        {
            return problem;
        }

        Enrollment enrollment;
        try
        {
            enrollment = await store.UpsertAsync(campaignId, email, crmContactId, campaignName, cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException exception) when (PostgresFailures.IsOutage(exception) && !cancellationToken.IsCancellationRequested)
        {
            metrics.PostgresErrors.Inc();
            Log.EnrollmentStoreFailed(logger, exception.GetType().Name, (exception as PostgresException)?.SqlState ?? "none");
            return Problems.Unavailable("Postgres is unavailable; the enrollment was not stored. Retry later.", Problems.RetryAfterOf(exception));
        }

        int? released;
        int? applied;
        try
        {
            List<string> keys = [EnrollmentKeys.ByEmail(enrollment.CampaignId, enrollment.Email)];
            if (enrollment.CrmContactId is { } crm)
            {
                keys.Add(EnrollmentKeys.ByCrmContact(crm));
            }

            var release = await retryCycle.ApplyParkedAsync(keys, cancellationToken).ConfigureAwait(false);
            released = release.Released;
            applied = release.Applied;
        }
        catch (RetryQueueUnavailableException exception)
        {
            // Stored: its orphans are applied on their next scheduled retry instead of now.
            released = null;
            applied = null;
            Log.PromoteFailed(logger, exception);
        }

        var response = new
        {
            id = enrollment.Id,
            campaignId = enrollment.CampaignId,
            email = enrollment.Email,
            crmContactId = enrollment.CrmContactId,
            created = enrollment.Created,
            released,
            applied,
        };
        return JsonAnswer.Of(response, enrollment.Created ? StatusCodes.Status201Created : StatusCodes.Status200OK);
    }

    /// <summary>The campaign's enrollment count and event counts by type, exact; 404 when the campaign is unknown.</summary>
    public async Task<IResult> GetCampaignStatsAsync(HttpContext context, string campaignId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (string.IsNullOrWhiteSpace(campaignId) || campaignId.Length > MaxIdLength)
        {
            return Problems.BadRequest($"The campaign id must be 1 to {MaxIdLength} characters.", new Dictionary<string, object?> { ["field"] = "campaignId" });
        }

        if (JsonText.TextProblem(campaignId, identifier: true) is { } problem)
        {
            return Problems.BadRequest($"The campaign id {problem}.", new Dictionary<string, object?> { ["field"] = "campaignId" });
        }

        try
        {
            var stats = await store.GetStatsAsync(campaignId, cancellationToken).ConfigureAwait(false);
            return stats is null
                ? Problems.NotFound($"Campaign '{campaignId}' has no enrollments.")
                : JsonAnswer.Of(stats);
        }
        catch (NpgsqlException exception) when (PostgresFailures.IsOutage(exception) && !cancellationToken.IsCancellationRequested)
        {
            metrics.PostgresErrors.Inc();
            Log.EnrollmentStoreFailed(logger, exception.GetType().Name, (exception as PostgresException)?.SqlState ?? "none");
            return Problems.Unavailable("Postgres is unavailable. Retry later.");
        }
    }

    private static partial class Log
    {
        // No exception object: Postgres messages can quote row values (an email in a key violation).
        [LoggerMessage(EventId = 5001, Level = LogLevel.Error, Message = "Enrollment store failed: {ExceptionType} (SQLSTATE {SqlState})")]
        public static partial void EnrollmentStoreFailed(ILogger logger, string exceptionType, string sqlState);

        [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "Could not release parked orphans now; they are retried on schedule")]
        public static partial void PromoteFailed(ILogger logger, Exception exception);
    }
}
