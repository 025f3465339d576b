using Microsoft.AspNetCore.Http;
using SalesAuto.Core.Http;

namespace SalesAuto.Core.Audit;

/// <summary>
/// <c>GET /api/audit</c> (docs/admin-api.md), shared by both hosts; Core checks the key before
/// calling. A thin adapter over <see cref="AuditService"/>: reads the query with
/// <see cref="PageQuery"/> (a 400 naming the parameter for every mistake) and answers the page.
/// </summary>
internal sealed class AuditEndpoints(AuditService service)
{
    /// <summary>
    /// Newest first; filters <c>action</c>, <c>actor</c>, <c>from</c>, <c>to</c>; <c>limit</c>
    /// 1..200 (50); <c>cursor</c> from the previous page's <c>nextCursor</c>, valid only with the
    /// same filters. Other query parameters are ignored.
    /// </summary>
    public async Task<IResult> ListAsync(HttpContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var query = context.Request.Query;
        if (!AuditFilter.TryParse(query, out var filter, out var problem)
            || !PageQuery.TryReadPage<AuditPosition>(query, AuditService.DefaultPageSize, PostgresAuditLog.MaxPageSize, filter.TryDecodeCursor, out var limit, out var after, out problem))
        {
            return problem;
        }

        var outcome = await service.ListAsync(new AuditListQuery(filter, after, limit), cancellationToken).ConfigureAwait(false);
        var next = outcome.Next is { } last ? filter.EncodeCursor(last) : null;
        context.Response.Headers.CacheControl = "no-store";
        return JsonAnswer.Of(new ListResponse(outcome.Page.Items, next));
    }

    private sealed record ListResponse(IReadOnlyList<AuditEntry> Items, string? NextCursor);
}
