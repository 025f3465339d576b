namespace SalesAuto.Core.Audit;

/// <summary>A list request, already validated: the filter, where to start, the page size (1..<see cref="PostgresAuditLog.MaxPageSize"/>).</summary>
/// <param name="Filter">Which entries.</param>
/// <param name="After">Start after this position (from the previous page's cursor), or at the newest.</param>
/// <param name="Limit">The page size.</param>
internal sealed record AuditListQuery(AuditFilter Filter, AuditPosition? After, int Limit);

/// <summary>A page and the position the next page starts after (null on the last page).</summary>
/// <param name="Page">The page.</param>
/// <param name="Next">The last entry's position when more follow, else null.</param>
internal sealed record AuditListOutcome(AuditPage Page, AuditPosition? Next);

/// <summary>The audit use case behind <c>GET /api/audit</c>: typed input, typed outcome, no HTTP.</summary>
internal sealed class AuditService(PostgresAuditLog log)
{
    /// <summary>The page size when <c>limit</c> is not given.</summary>
    public const int DefaultPageSize = 50;

    /// <summary>One page, newest first, and where the next starts.</summary>
    public async Task<AuditListOutcome> ListAsync(AuditListQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var page = await log.ListAsync(query.Filter, query.After, query.Limit, cancellationToken).ConfigureAwait(false);
        var next = page.HasMore && page.Items.Count > 0 ? new AuditPosition(page.Items[^1].At, page.Items[^1].Id) : (AuditPosition?)null;
        return new AuditListOutcome(page, next);
    }
}
