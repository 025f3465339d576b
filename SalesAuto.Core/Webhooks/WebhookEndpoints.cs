using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SalesAuto.Core.Http;
using SalesAuto.Core.Observability;
using SalesAuto.Core.Webhooks.Sources;

namespace SalesAuto.Core.Webhooks;

/// <summary>
/// <c>POST /api/webhooks/{source}</c>, the HTTP adapter of <see cref="WebhookIntake"/>: read the body
/// (bounded), verify and parse it with the source's rules, hand the events to the intake, turn its
/// outcome into the answer. A 200 means every event of the delivery is stored somewhere durable: in
/// Postgres, or in the retry queue. When either cannot take them the answer is 503 with Retry-After,
/// so the provider delivers again; events already stored by then come back as duplicates. Events
/// about an erased person are counted as suppressed (docs/privacy.md); a HubSpot
/// <c>contact.privacyDeletion</c> erases its contact first.
/// </summary>
internal sealed class WebhookEndpoints(
    IOptionsMonitor<WebhookOptions> options,
    WebhookVerifier verifier,
    WebhookIntake intake,
    SalesAutoMetrics metrics,
    ILogger<WebhookEndpoints> logger)
{
    // The metrics label for sources that are not configured: request paths never become labels.
    private const string UnknownSourceLabel = "unknown";

    /// <summary>Receives one delivery.</summary>
    public async Task<IResult> ReceiveAsync(HttpContext context, string source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = options.CurrentValue;
        if (string.IsNullOrEmpty(source) || !settings.Sources.TryGetValue(source, out var sourceOptions))
        {
            return Reject(UnknownSourceLabel, "unknown_source", Problems.NotFound("No webhook source with that name is configured."));
        }

        source = source.ToLowerInvariant();
        var body = await WebhookBodyReader.ReadAsync(context.Request, settings.MaxBodyBytes, cancellationToken).ConfigureAwait(false);
        switch (body.Status)
        {
            case BodyReadStatus.UnsupportedMediaType:
                return Reject(source, "unsupported_media_type", Problems.UnsupportedMediaType(body.ContentType));
            case BodyReadStatus.TooLarge:
                return Reject(source, "too_large", Problems.TooLarge(settings.MaxBodyBytes));
            case BodyReadStatus.Ok:
                break;
        }

        var verification = verifier.Verify(source, sourceOptions, context.Request, body.Body.Span);
        if (!verification.Succeeded)
        {
            var reason = verification.Reason ?? VerificationResult.SignatureReason;
            Log.Rejected(logger, source, reason);
            context.Response.Headers.WWWAuthenticate = WebhookChallenge.For(source, sourceOptions.Kind);
            return Reject(source, reason, Problems.Unauthorized($"webhook-{reason}", verification.Detail ?? "The delivery could not be verified."));
        }

        var parsed = WebhookParser.Parse(source, sourceOptions.Kind, body.Body);
        if (!parsed.Succeeded)
        {
            return Reject(source, "malformed", Problems.MalformedJson(parsed.Error ?? "The body could not be parsed."));
        }

        var request = IntakeRequest.FromWebhook(source, parsed.Events, WebhookSources.For(sourceOptions.Kind).PeopleToErase(parsed.Events));
        var outcome = await intake.IngestAsync(request, cancellationToken).ConfigureAwait(false);
        Count(source, outcome);
        return ToResult(outcome);
    }

    /// <summary>
    /// The answer to an intake outcome: 200 with the per-event counts, or a 503 problem whose detail
    /// says which dependency could not take the events (with Retry-After).
    /// </summary>
    internal static IResult ToResult(IntakeOutcome outcome) => outcome switch
    {
        IntakeOutcome.Taken taken => JsonAnswer.Of(new WebhookResponse(taken.Outcomes.Count, taken.Applied, taken.Duplicates, taken.Orphaned, taken.Suppressed)),
        IntakeOutcome.PostgresUnavailable postgres =>
            Problems.Unavailable("Postgres is unavailable; nothing was acknowledged. Deliver again later.", postgres.RetryAfter),
        IntakeOutcome.QueueUnavailable { WhileErasing: true } =>
            Problems.Unavailable("The retry queue (Redis) is unavailable, so a privacy deletion could not be carried out. Deliver again later."),
        IntakeOutcome.QueueUnavailable redis =>
            Problems.Unavailable("The retry queue (Redis) is unavailable, so events whose enrollment does not exist yet cannot be parked. Deliver again later.", redis.RetryAfter),
        IntakeOutcome.QueueFull full =>
            Problems.Unavailable($"The retry queue is full (RetryQueue:MaxLength); {full.Refused} events whose enrollment does not exist yet were not parked. Deliver again later.", TimeSpan.FromMinutes(1)),
        _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "An intake outcome this adapter does not know."),
    };

    // salesauto_webhook_events_total: once per event, by outcome. A refused delivery was verified
    // and processed, so its unacknowledged events count as failed, not as a rejection.
    private void Count(string source, IntakeOutcome outcome)
    {
        var events = metrics.WebhookEvents;
        if (outcome is IntakeOutcome.Taken taken)
        {
            events.WithLabels(source, "applied").Inc(taken.Applied);
            events.WithLabels(source, "suppressed").Inc(taken.Suppressed);
            events.WithLabels(source, "duplicate").Inc(taken.Duplicates);
            events.WithLabels(source, "orphaned").Inc(taken.Orphaned);
            return;
        }

        var failed = outcome switch
        {
            IntakeOutcome.PostgresUnavailable postgres => postgres.Failed,
            IntakeOutcome.QueueUnavailable redis => redis.Failed,
            IntakeOutcome.QueueFull full => full.Failed,
            _ => 0,
        };
        events.WithLabels(source, "failed").Inc(failed);
    }

    private ProblemResult Reject(string source, string reason, ProblemResult problem)
    {
        metrics.WebhookRejected.WithLabels(source, reason).Inc();
        return problem;
    }

    private sealed record WebhookResponse(int Received, int Applied, int Duplicates, int Orphaned, int Suppressed);
}
