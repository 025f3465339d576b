using System.Globalization;
using Microsoft.AspNetCore.Http;
using SalesAuto.Core.Http;

namespace SalesAuto.Core.Audit;

/// <summary><c>GET /api/audit</c> (docs/admin-api.md), shared by both hosts; Core checks the key before calling.</summary>
public sealed class AuditEndpoints(PostgresAuditLog log)
{
    /// <summary>The page size when <c>limit</c> is not given.</summary>
    public const int DefaultPageSize = 50;

    /// <summary>
    /// Newest first; filters <c>action</c>, <c>actor</c>, <c>from</c>, <c>to</c>; <c>limit</c>
    /// 1..200 (50); <c>cursor</c> from the previous page's <c>nextCursor</c>, valid only with the
    /// same filters. Other query parameters are ignored.
    /// </summary>
    public async Task<IResult> ListAsync(HttpContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var query = context.Request.Query;
        if (!AuditFilter.TryParse(query, out var filter, out var problem))
        {
            return problem;
        }

        var limit = DefaultPageSize;
        if (query.TryGetValue("limit", out var limits)
            && (limits.Count != 1 || !int.TryParse(limits[0], NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > PostgresAuditLog.MaxPageSize))
        {
            return Problems.BadRequest($"Query parameter 'limit' must be one whole number from 1 to {PostgresAuditLog.MaxPageSize}; it is '{JsonText.Truncate(limits.ToString())}'.");
        }

        AuditPosition? after = null;
        if (query.TryGetValue("cursor", out var cursors))
        {
            if (cursors.Count != 1)
            {
                return Problems.BadRequest("Query parameter 'cursor' is given more than once.");
            }

            if (!AuditCursor.TryDecode(cursors[0] ?? string.Empty, filter, out var position, out var error))
            {
                return new ProblemResult(StatusCodes.Status400BadRequest, "invalid-cursor", "The cursor is invalid.", $"Query parameter 'cursor': {error}");
            }

            after = position;
        }

        var page = await log.ListAsync(filter, after, limit, cancellationToken).ConfigureAwait(false);
        var next = page.HasMore ? AuditCursor.Encode(new AuditPosition(page.Items[^1].At, page.Items[^1].Id), filter) : null;
        context.Response.Headers.CacheControl = "no-store";
        return Results.Json(new ListResponse(page.Items, next), JsonDefaults.Options);
    }

    private sealed record ListResponse(IReadOnlyList<AuditEntry> Items, string? NextCursor);
}
