using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using SalesAuto.Core.Events;
using SalesAuto.Core.Http;
using SalesAuto.Core.Observability;
using SalesAuto.Core.Postgres;
using SalesAuto.Core.Privacy;
using SalesAuto.Core.RetryQueue;
using SalesAuto.Core.Webhooks.Sources;

namespace SalesAuto.Core.Webhooks;

/// <summary>
/// <c>POST /api/webhooks/{source}</c>: read (bounded), verify, parse, store each event once, park
/// orphans. A 200 means every event of the delivery is stored somewhere durable: in Postgres, or
/// in the retry queue. When either cannot take them the answer is 503 with Retry-After, so the
/// provider delivers again; events already stored by then come back as duplicates. Events about
/// an erased person are not stored, parked or logged: they are counted as suppressed and audited
/// (docs/privacy.md); a HubSpot <c>contact.privacyDeletion</c> erases its contact first.
/// </summary>
public sealed partial class WebhookEndpoints(
    IOptionsMonitor<WebhookOptions> options,
    IOptions<RetryQueueOptions> retryOptions,
    WebhookVerifier verifier,
    IEventProcessor processor,
    IRetryQueue queue,
    PrivacyEraser eraser,
    SuppressionHits suppressionHits,
    SalesAutoMetrics metrics,
    TimeProvider time,
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

        var events = parsed.Events;
        IReadOnlyList<EventOutcome> outcomes;
        try
        {
            // Before the events are stored: the deletion event itself, and anything else the
            // delivery says about that person, then come back suppressed.
            foreach (var person in WebhookSources.For(sourceOptions.Kind).PeopleToErase(events))
            {
                await eraser.EraseAsync(person, dryRun: false, $"webhook:{source}", cancellationToken).ConfigureAwait(false);
            }

            outcomes = await processor.ApplyAsync(events, cancellationToken).ConfigureAwait(false);
            await suppressionHits.RecordAsync($"webhook:{source}", [.. events.Where((_, i) => outcomes[i] == EventOutcome.Suppressed)], cancellationToken).ConfigureAwait(false);
        }
        catch (RetryQueueUnavailableException)
        {
            // Only an erase (a HubSpot privacy deletion) reads the queue before the events are
            // stored. Counted once, as failed events, like any delivery Redis could not take.
            metrics.WebhookEvents.WithLabels(source, "failed").Inc(events.Count);
            Log.QueueUnavailable(logger, source, events.Count);
            return Problems.Unavailable("The retry queue (Redis) is unavailable, so a privacy deletion could not be carried out. Deliver again later.");
        }
        catch (Exception exception) when (PostgresFailures.IsOutage(exception) && !cancellationToken.IsCancellationRequested)
        {
            metrics.PostgresErrors.Inc();
            metrics.WebhookEvents.WithLabels(source, "failed").Inc(events.Count);
            Log.StoreFailed(logger, source, exception.GetType().Name, (exception as PostgresException)?.SqlState ?? "none");
            return Problems.Unavailable("Postgres is unavailable; nothing was acknowledged. Deliver again later.", Problems.RetryAfterOf(exception));
        }

        var orphans = new List<(OrphanItem, TimeSpan)>();
        var now = time.GetUtcNow();
        var retry = retryOptions.Value;
        for (var i = 0; i < events.Count; i++)
        {
            if (outcomes[i] == EventOutcome.Orphan)
            {
                orphans.Add((new OrphanItem(events[i], 0, now), retry.NextDelay(0)));
            }
        }

        if (orphans.Count > 0 && await ParkAsync(source, orphans, cancellationToken).ConfigureAwait(false) is { } parkProblem)
        {
            metrics.WebhookEvents.WithLabels(source, "failed").Inc(orphans.Count);
            return parkProblem;
        }

        var applied = outcomes.Count(o => o == EventOutcome.Applied);
        var duplicates = outcomes.Count(o => o == EventOutcome.Duplicate);
        var suppressed = outcomes.Count(o => o == EventOutcome.Suppressed);
        metrics.WebhookEvents.WithLabels(source, "applied").Inc(applied);
        metrics.WebhookEvents.WithLabels(source, "suppressed").Inc(suppressed);
        metrics.WebhookEvents.WithLabels(source, "duplicate").Inc(duplicates);
        metrics.WebhookEvents.WithLabels(source, "orphaned").Inc(orphans.Count);
        return JsonAnswer.Of(new WebhookResponse(events.Count, applied, duplicates, orphans.Count, suppressed));
    }

    // Parks the orphans; a problem when the queue cannot take every one of them.
    private async Task<ProblemResult?> ParkAsync(string source, List<(OrphanItem, TimeSpan)> orphans, CancellationToken cancellationToken)
    {
        IReadOnlyList<EnqueueOutcome> parked;
        try
        {
            parked = await queue.EnqueueAsync(orphans, cancellationToken).ConfigureAwait(false);
        }
        catch (RetryQueueUnavailableException exception)
        {
            // Counted by the caller, once, as failed events (salesauto_webhook_events_total): the
            // delivery was verified and processed, so it is no rejection "before processing".
            Log.QueueUnavailable(logger, source, orphans.Count);
            return Problems.Unavailable("The retry queue (Redis) is unavailable, so events whose enrollment does not exist yet cannot be parked. Deliver again later.", exception.RetryAfter);
        }

        metrics.OrphansEnqueued.WithLabels(source).Inc(parked.Count(p => p == EnqueueOutcome.Enqueued));
        var full = parked.Count(p => p == EnqueueOutcome.Full);
        if (full == 0)
        {
            return null;
        }

        Log.QueueFull(logger, source, full);
        return Problems.Unavailable($"The retry queue is full (RetryQueue:MaxLength); {full} events whose enrollment does not exist yet were not parked. Deliver again later.", TimeSpan.FromMinutes(1));
    }

    private ProblemResult Reject(string source, string reason, ProblemResult problem)
    {
        metrics.WebhookRejected.WithLabels(source, reason).Inc();
        return problem;
    }

    private sealed record WebhookResponse(int Received, int Applied, int Duplicates, int Orphaned, int Suppressed);

    private static partial class Log
    {
        [LoggerMessage(EventId = 4501, Level = LogLevel.Warning, Message = "Webhook from {Source} rejected: {Reason}")]
        public static partial void Rejected(ILogger logger, string source, string reason);

        [LoggerMessage(EventId = 4502, Level = LogLevel.Error, Message = "Webhook from {Source} not stored: {ExceptionType} (SQLSTATE {SqlState}); answered 503")]
        public static partial void StoreFailed(ILogger logger, string source, string exceptionType, string sqlState);

        [LoggerMessage(EventId = 4503, Level = LogLevel.Error, Message = "Webhook from {Source}: {Count} orphans could not be parked, Redis unavailable; answered 503")]
        public static partial void QueueUnavailable(ILogger logger, string source, int count);

        [LoggerMessage(EventId = 4504, Level = LogLevel.Error, Message = "Webhook from {Source}: retry queue full, {Count} orphans refused; answered 503")]
        public static partial void QueueFull(ILogger logger, string source, int count);
    }
}
