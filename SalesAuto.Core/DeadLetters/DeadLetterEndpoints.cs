using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using SalesAuto.Core.Http;

namespace SalesAuto.Core.DeadLetters;

/// <summary>
/// The dead-letter admin routes (docs/admin-api.md), shared by both hosts; the host checks the key
/// before calling. Every client mistake is a problem+json 400 naming it; nothing a client sends
/// reaches Postgres unvalidated.
/// </summary>
public sealed class DeadLetterEndpoints(PostgresDeadLetterStore store, DeadLetterReplayer replayer, ILogger<DeadLetterEndpoints> logger)
{
    /// <summary>How many dead letters a replay by filter acts on when <c>max</c> is not given.</summary>
    public const int DefaultReplayMax = 1000;

    /// <summary>The list's page size when <c>limit</c> is not given.</summary>
    public const int DefaultPageSize = 50;

    /// <summary>The longest ignore reason accepted.</summary>
    public const int MaxReasonLength = 1000;

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
            || !TryParseLimit(query, out var limit, out problem)
            || !TryParseCursor(query, filter, out var after, out problem))
        {
            return problem;
        }

        var page = await store.ListAsync(filter, after, limit, cancellationToken).ConfigureAwait(false);
        var next = page.HasMore && page.Items.Count > 0
            ? DeadLetterCursor.Encode(new DeadLetterPosition(page.Items[^1].CreatedAt, page.Items[^1].Id), filter)
            : null;
        return Json(context, new ListResponse(page.Items, next));
    }

    /// <summary><c>GET /api/dlq/{id}</c>: the dead letter with its payload and history; 400 for a malformed id, 404 for an unknown one.</summary>
    public async Task<IResult> GetAsync(HttpContext context, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!Guid.TryParseExact(id, "D", out var guid))
        {
            return Problems.BadRequest($"'{JsonText.Truncate(id ?? string.Empty)}' is not a dead-letter id; ids are UUIDs such as 3f2b0c4e-8d1a-4e6b-9c2d-5a7e1f0b3c9d.");
        }

        var detail = await store.GetAsync(guid, cancellationToken).ConfigureAwait(false);
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
            || !TryParseReason(body.Body, out var detail, out problem))
        {
            return problem;
        }

        var caller = AdminKeyValidator.Caller(context);
        var results = await store.IgnoreAsync(ids, caller, detail, cancellationToken).ConfigureAwait(false);
        Log.Ignored(logger, caller, results.Count(r => r.Result == DeadLetterIgnoreResults.Ignored), results.Count);
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
            || !TryParseReason(root, out var detail, out problem))
        {
            return problem;
        }

        var hasIds = root.TryGetProperty("ids", out _);
        var hasFilter = root.TryGetProperty("filter", out var filterElement);
        if (hasIds == hasFilter)
        {
            return Problems.BadRequest("Give either 'ids' (1 to 100 dead-letter ids) or 'filter' (with optional 'dryRun' and 'max'), not both and not neither.");
        }

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

            var results = await replayer.ReplayAsync(ids, includeIgnored, force, caller, detail, cancellationToken).ConfigureAwait(false);
            return Json(context, new ReplayResponse(results, null, null));
        }

        if (!DeadLetterFilter.TryParse(filterElement, out var filter, out problem) || !TryParseMax(root, out var max, out problem))
        {
            return problem;
        }

        List<DeadLetterStatus> statuses = [DeadLetterStatus.Failed];
        if (includeIgnored)
        {
            statuses.Add(DeadLetterStatus.Ignored);
        }

        if (force)
        {
            statuses.Add(DeadLetterStatus.Replaying);
        }

        if (dryRun)
        {
            var matched = await store.CountAsync(filter, statuses, max, cancellationToken).ConfigureAwait(false);
            return Json(context, new ReplayResponse([], true, matched));
        }

        var selected = await store.SelectIdsAsync(filter, statuses, max, cancellationToken).ConfigureAwait(false);
        var replayed = await replayer.ReplayAsync(selected, includeIgnored, force, caller, detail, cancellationToken).ConfigureAwait(false);
        return Json(context, new ReplayResponse(replayed, false, selected.Count));
    }

    /// <summary><c>GET /api/dlq/stats</c>: counts by status and by source, type and status; the oldest unresolved dead letter's age.</summary>
    public async Task<IResult> GetStatsAsync(HttpContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var stats = await store.GetStatsAsync(cancellationToken).ConfigureAwait(false);
        return Json(context, stats);
    }

    // Admin answers describe live state: never cached by a proxy or a browser.
    private static IResult Json<T>(HttpContext context, T value)
    {
        context.Response.Headers.CacheControl = "no-store";
        return JsonAnswer.Of(value);
    }

    private static bool TryParseLimit(IQueryCollection query, out int limit, [NotNullWhen(false)] out ProblemResult? problem)
    {
        limit = DefaultPageSize;
        problem = null;
        if (!query.TryGetValue("limit", out var values))
        {
            return true;
        }

        if (values.Count != 1 || !int.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > PostgresDeadLetterStore.MaxPageSize)
        {
            problem = Problems.BadRequest($"Query parameter 'limit' must be one whole number from 1 to {PostgresDeadLetterStore.MaxPageSize}; it is '{JsonText.Truncate(values.ToString())}'.");
            return false;
        }

        return true;
    }

    private static bool TryParseCursor(IQueryCollection query, DeadLetterFilter filter, out DeadLetterPosition? after, [NotNullWhen(false)] out ProblemResult? problem)
    {
        after = null;
        problem = null;
        if (!query.TryGetValue("cursor", out StringValues values))
        {
            return true;
        }

        if (values.Count != 1)
        {
            problem = Problems.BadRequest("Query parameter 'cursor' is given more than once.");
            return false;
        }

        if (!DeadLetterCursor.TryDecode(values[0] ?? string.Empty, filter, out var position, out var error))
        {
            problem = new ProblemResult(StatusCodes.Status400BadRequest, "invalid-cursor", "The cursor is invalid.", $"Query parameter 'cursor': {error}");
            return false;
        }

        after = position;
        return true;
    }

    private static bool TryParseReason(JsonElement body, out JsonElement? detail, [NotNullWhen(false)] out ProblemResult? problem)
    {
        detail = null;
        problem = null;
        if (!body.TryGetProperty("reason", out var reason) || reason.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (reason.ValueKind != JsonValueKind.String || !JsonText.TryGetString(reason, out var text))
        {
            problem = Problems.BadRequest($"reason must be a string or null; it is {JsonText.Describe(reason)}.");
            return false;
        }

        if (text.Length is 0 or > MaxReasonLength || !JsonText.IsStorable(text))
        {
            problem = Problems.BadRequest($"reason must be 1 to {MaxReasonLength} characters of valid Unicode without NUL; it has {text.Length}.");
            return false;
        }

        detail = JsonSerializer.SerializeToElement(new { reason = text }, JsonDefaults.Options);
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
        max = DefaultReplayMax;
        problem = null;
        if (!body.TryGetProperty("max", out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt32(out max) || max is < 1 or > PostgresDeadLetterStore.MaxSelect)
        {
            problem = Problems.BadRequest($"'max' must be a whole number from 1 to {PostgresDeadLetterStore.MaxSelect}; it is {JsonText.Describe(element)}.");
            return false;
        }

        return true;
    }

    private sealed record ReplayResponse(
        IReadOnlyList<DeadLetterIdResult> Results,
        [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] bool? DryRun,
        [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] int? Matched);

    private sealed record ListResponse(IReadOnlyList<DeadLetterSummary> Items, string? NextCursor);

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
