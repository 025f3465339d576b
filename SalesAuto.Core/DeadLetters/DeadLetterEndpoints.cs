using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using SalesAuto.Core.Http;

namespace SalesAuto.Core.DeadLetters;

/// <summary>
/// The dead-letter admin routes (docs/admin-api.md), shared by both hosts; the host checks the key
/// before calling. A thin adapter: it reads and validates the request (every client mistake is a
/// problem+json 400 naming it; nothing a client sends reaches Postgres unvalidated), calls
/// <see cref="DeadLetterService"/> with typed input and turns its typed outcome into the answer.
/// </summary>
internal sealed class DeadLetterEndpoints(DeadLetterService service)
{
    private static readonly string[] IgnoreMembers = ["ids", "reason"];

    private static readonly string[] ReplayMembers = ["ids", "filter", "dryRun", "max", "includeIgnored", "force", "reason"];

    /// <summary>
    /// <c>GET /api/dlq</c>: newest first; filters <c>status</c>, <c>source</c>, <c>type</c>,
    /// <c>from</c>, <c>to</c>; <c>limit</c> 1..200 (50); <c>cursor</c> from the previous page's
    /// <c>nextCursor</c>, valid only with the same filters. Other query parameters are ignored.
    /// </summary>
    public async Task<IResult> ListAsync(HttpContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var query = context.Request.Query;
        if (!DeadLetterFilter.TryParse(query, out var filter, out var problem)
            || !PageQuery.TryReadPage<DeadLetterPosition>(query, DeadLetterService.DefaultPageSize, IDeadLetterStore.MaxPageSize, filter.TryDecodeCursor, out var limit, out var after, out problem))
        {
            return problem;
        }

        var outcome = await service.ListAsync(new DeadLetterListQuery(filter, after, limit), cancellationToken).ConfigureAwait(false);
        NoStore(context);
        return new DeadLetterListAnswer(outcome.Page.Items, outcome.Next is { } next ? filter.EncodeCursor(next) : null);
    }

    /// <summary><c>GET /api/dlq/{id}</c>: the dead letter with its payload and history; 400 for a malformed id, 404 for an unknown one.</summary>
    public async Task<IResult> GetAsync(HttpContext context, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!Guid.TryParseExact(id, "D", out var guid))
        {
            return Problems.BadRequest($"'{JsonText.Truncate(id ?? string.Empty)}' is not a dead-letter id; ids are UUIDs such as 3f2b0c4e-8d1a-4e6b-9c2d-5a7e1f0b3c9d.");
        }

        var detail = await service.GetAsync(guid, cancellationToken).ConfigureAwait(false);
        return detail is null
            ? Problems.NotFound($"No dead letter has id {guid}.")
            : Json(context, DetailResponse.From(detail));
    }

    /// <summary>
    /// <c>POST /api/dlq/ignore</c> <c>{"ids":[...],"reason":"..."}</c>: failed dead letters become
    /// ignored; the result per id is <c>ignored</c>, <c>already_ignored</c>, <c>not_found</c> or
    /// <c>not_ignorable</c>; every id gets an audit row naming the caller.
    /// </summary>
    public async Task<IResult> IgnoreAsync(HttpContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var body = await JsonRequestBody.ReadObjectAsync(context.Request, JsonRequestBody.DefaultMaxBytes, cancellationToken).ConfigureAwait(false);
        if (!body.IsValid)
        {
            return body.Problem;
        }

        if (JsonRequestBody.TryRejectUnknownMembers(body.Body, IgnoreMembers, out var problem)
            || !DeadLetterIdList.TryParseMember(body.Body, out var ids, out problem)
            || !TryParseReason(body.Body, out var reason, out problem))
        {
            return problem;
        }

        var results = await service.IgnoreAsync(new DeadLetterIgnoreCommand(ids, AdminKeyValidator.Caller(context), reason), cancellationToken).ConfigureAwait(false);
        return Json(context, new ResultsResponse(results));
    }

    /// <summary>
    /// <c>POST /api/dlq/replay</c>: <c>{"ids":[...]}</c> (1..100 UUIDs) or
    /// <c>{"filter":{...},"dryRun":bool,"max":n}</c> (max 1..10,000, default 1,000; a dry run only
    /// counts). Only failed dead letters are replayed, plus ignored ones with
    /// <c>"includeIgnored":true</c> and ones left replaying by an outage with <c>"force":true</c>.
    /// The result per id is one of <see cref="DeadLetterReplayResults"/>.
    /// </summary>
    public async Task<IResult> ReplayAsync(HttpContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var body = await JsonRequestBody.ReadObjectAsync(context.Request, JsonRequestBody.DefaultMaxBytes, cancellationToken).ConfigureAwait(false);
        if (!body.IsValid)
        {
            return body.Problem;
        }

        var root = body.Body;
        if (JsonRequestBody.TryRejectUnknownMembers(root, ReplayMembers, out var problem)
            || !TryParseFlag(root, "includeIgnored", out var includeIgnored, out problem)
            || !TryParseFlag(root, "force", out var force, out problem)
            || !TryParseFlag(root, "dryRun", out var dryRun, out problem)
            || !TryParseReason(root, out var reason, out problem))
        {
            return problem;
        }

        var hasIds = root.TryGetProperty("ids", out _);
        var hasFilter = root.TryGetProperty("filter", out var filterElement);
        if (hasIds == hasFilter)
        {
            return Problems.BadRequest("Give either 'ids' (1 to 100 dead-letter ids) or 'filter' (with optional 'dryRun' and 'max'), not both and not neither.");
        }

        DeadLetterReplayCommand command;
        var caller = AdminKeyValidator.Caller(context);
        if (hasIds)
        {
            if (dryRun || root.TryGetProperty("max", out _))
            {
                return Problems.BadRequest("'dryRun' and 'max' go with 'filter', not with 'ids'.");
            }

            if (!DeadLetterIdList.TryParseMember(root, out var ids, out problem))
            {
                return problem;
            }

            command = new DeadLetterReplayCommand(ids, null, 0, false, includeIgnored, force, caller, reason);
        }
        else
        {
            if (!DeadLetterFilter.TryParse(filterElement, out var filter, out problem) || !TryParseMax(root, out var max, out problem))
            {
                return problem;
            }

            command = new DeadLetterReplayCommand(null, filter, max, dryRun, includeIgnored, force, caller, reason);
        }

        var outcome = await service.ReplayAsync(command, cancellationToken).ConfigureAwait(false);
        return Json(context, new ReplayResponse(outcome.Results, outcome.DryRun, outcome.Matched));
    }

    /// <summary><c>GET /api/dlq/stats</c>: counts by status and by source, type and status; the oldest unresolved dead letter's age.</summary>
    public async Task<IResult> GetStatsAsync(HttpContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var stats = await service.GetStatsAsync(cancellationToken).ConfigureAwait(false);
        return Json(context, stats);
    }

    // Admin answers describe live state: never cached by a proxy or a browser.
    private static IResult Json<T>(HttpContext context, T value)
    {
        NoStore(context);
        return JsonAnswer.Of(value);
    }

    private static void NoStore(HttpContext context) => context.Response.Headers.CacheControl = "no-store";

    private static bool TryParseReason(JsonElement body, out string? reason, [NotNullWhen(false)] out ProblemResult? problem)
    {
        reason = null;
        problem = null;
        if (!body.TryGetProperty("reason", out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (element.ValueKind != JsonValueKind.String || !JsonText.TryGetString(element, out var text))
        {
            problem = Problems.BadRequest($"reason must be a string or null; it is {JsonText.Describe(element)}.");
            return false;
        }

        if (text.Length is 0 or > DeadLetterService.MaxReasonLength || !JsonText.IsStorable(text))
        {
            problem = Problems.BadRequest($"reason must be 1 to {DeadLetterService.MaxReasonLength} characters of valid Unicode without NUL; it has {text.Length}.");
            return false;
        }

        reason = text;
        return true;
    }

    private static bool TryParseFlag(JsonElement body, string name, out bool value, [NotNullWhen(false)] out ProblemResult? problem)
    {
        value = false;
        problem = null;
        if (!body.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (element.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            problem = Problems.BadRequest($"'{name}' must be true or false; it is {JsonText.Describe(element)}.");
            return false;
        }

        value = element.GetBoolean();
        return true;
    }

    private static bool TryParseMax(JsonElement body, out int max, [NotNullWhen(false)] out ProblemResult? problem)
    {
        max = DeadLetterService.DefaultReplayMax;
        problem = null;
        if (!body.TryGetProperty("max", out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt32(out max) || max is < 1 or > IDeadLetterStore.MaxSelect)
        {
            problem = Problems.BadRequest($"'max' must be a whole number from 1 to {IDeadLetterStore.MaxSelect}; it is {JsonText.Describe(element)}.");
            return false;
        }

        return true;
    }

    private sealed record ReplayResponse(
        IReadOnlyList<DeadLetterIdResult> Results,
        [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] bool? DryRun,
        [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] int? Matched);

    private sealed record ResultsResponse(IReadOnlyList<DeadLetterIdResult> Results);

    // The summary's fields flattened, with the payload as JSON and the history.
    private sealed record DetailResponse(
        Guid Id,
        string Source,
        string EventId,
        string Type,
        string? CampaignId,
        DeadLetterStatus Status,
        string FailureReason,
        int Attempts,
        int ReplayCount,
        DateTimeOffset FirstSeenAt,
        DateTimeOffset CreatedAt,
        DateTimeOffset UpdatedAt,
        DateTimeOffset? ResolvedAt,
        JsonElement Payload,
        IReadOnlyList<DeadLetterAuditEntry> History)
    {
        public static DetailResponse From(DeadLetterDetail detail)
        {
            var s = detail.Summary;
            return new(s.Id, s.Source, s.EventId, s.Type, s.CampaignId, s.Status, s.FailureReason, s.Attempts, s.ReplayCount,
                s.FirstSeenAt, s.CreatedAt, s.UpdatedAt, s.ResolvedAt, detail.Payload, detail.History);
        }
    }
}
