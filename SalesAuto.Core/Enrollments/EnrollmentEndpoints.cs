using Microsoft.AspNetCore.Http;
using SalesAuto.Core.Http;

namespace SalesAuto.Core.Enrollments;

/// <summary>
/// <c>POST /api/enrollments</c> and <c>GET /api/campaigns/{campaignId}/stats</c>, shared by both hosts:
/// the HTTP adapter of <see cref="EnrollmentService"/>. It binds and validates the input, calls the
/// use case and turns its outcome into the answer.
/// </summary>
internal sealed class EnrollmentEndpoints(EnrollmentService service)
{
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

        if (EnrollmentRequest.Bind(body.Body, out var problem) is not { } request)
        {
            return problem!;
        }

        var outcome = await service.UpsertAsync(request, cancellationToken).ConfigureAwait(false);
        return ToResult(outcome);
    }

    /// <summary>The campaign's enrollment count and event counts by type, exact; 404 when the campaign is unknown.</summary>
    public async Task<IResult> GetCampaignStatsAsync(HttpContext context, string campaignId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (string.IsNullOrWhiteSpace(campaignId) || campaignId.Length > EnrollmentRequest.MaxIdLength)
        {
            return Problems.BadRequest($"The campaign id must be 1 to {EnrollmentRequest.MaxIdLength} characters.", new Dictionary<string, object?> { ["field"] = "campaignId" });
        }

        if (JsonText.TextProblem(campaignId, identifier: true) is { } problem)
        {
            return Problems.BadRequest($"The campaign id {problem}.", new Dictionary<string, object?> { ["field"] = "campaignId" });
        }

        return await service.GetCampaignStatsAsync(campaignId, cancellationToken).ConfigureAwait(false) switch
        {
            CampaignStatsOutcome.Found found => JsonAnswer.Of(found.Stats),
            CampaignStatsOutcome.NotFound => Problems.NotFound($"Campaign '{campaignId}' has no enrollments."),
            CampaignStatsOutcome.PostgresUnavailable => Problems.Unavailable("Postgres is unavailable. Retry later."),
            var other => throw new InvalidOperationException($"A campaign stats outcome this adapter does not know: {other}."),
        };
    }

    /// <summary>The answer to an upsert outcome: 201 or 200 with the enrollment and its release counts, or 503.</summary>
    internal static IResult ToResult(EnrollmentOutcome outcome) => outcome switch
    {
        EnrollmentOutcome.Upserted upserted => JsonAnswer.Of(
            new
            {
                id = upserted.Enrollment.Id,
                campaignId = upserted.Enrollment.CampaignId,
                email = upserted.Enrollment.Email,
                crmContactId = upserted.Enrollment.CrmContactId,
                created = upserted.Enrollment.Created,
                released = upserted.Released,
                applied = upserted.Applied,
            },
            upserted.Enrollment.Created ? StatusCodes.Status201Created : StatusCodes.Status200OK),
        EnrollmentOutcome.PostgresUnavailable postgres =>
            Problems.Unavailable("Postgres is unavailable; the enrollment was not stored. Retry later.", postgres.RetryAfter),
        _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "An enrollment outcome this adapter does not know."),
    };
}
