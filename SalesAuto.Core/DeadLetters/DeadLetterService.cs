using System.Text.Json;
using Microsoft.Extensions.Logging;
using SalesAuto.Core.Http;

namespace SalesAuto.Core.DeadLetters;

/// <summary>A list request, already validated: the filter, where to start, the page size (1..<see cref="IDeadLetterStore.MaxPageSize"/>).</summary>
/// <param name="Filter">Which dead letters.</param>
/// <param name="After">Start after this position (from the previous page's cursor), or at the newest.</param>
/// <param name="Limit">The page size.</param>
internal sealed record DeadLetterListQuery(DeadLetterFilter Filter, DeadLetterPosition? After, int Limit);

/// <summary>A page and the position the next page starts after (null on the last page).</summary>
/// <param name="Page">The page.</param>
/// <param name="Next">The last item's position when more follow, else null.</param>
internal sealed record DeadLetterListOutcome(DeadLetterListPage Page, DeadLetterPosition? Next);

/// <summary>An ignore request, already validated.</summary>
/// <param name="Ids">1..100 distinct ids.</param>
/// <param name="Actor">Who asks (the admin key's name).</param>
/// <param name="Reason">Why, 1..<see cref="DeadLetterService.MaxReasonLength"/> storable characters, or null.</param>
internal sealed record DeadLetterIgnoreCommand(IReadOnlyList<Guid> Ids, string Actor, string? Reason);

/// <summary>
/// A replay request, already validated: by <see cref="Ids"/> or by <see cref="Filter"/> (with
/// <see cref="Max"/> and <see cref="DryRun"/>), never both.
/// </summary>
/// <param name="Ids">1..100 ids, or null for a replay by filter.</param>
/// <param name="Filter">The filter, or null for a replay by ids.</param>
/// <param name="Max">At most this many by filter (1..<see cref="IDeadLetterStore.MaxSelect"/>).</param>
/// <param name="DryRun">Only count what the filter would replay.</param>
/// <param name="IncludeIgnored">Replay ignored dead letters too.</param>
/// <param name="Force">Replay ones left replaying whose claim has not expired yet.</param>
/// <param name="Actor">Who asks.</param>
/// <param name="Reason">Why, or null.</param>
internal sealed record DeadLetterReplayCommand(
    IReadOnlyList<Guid>? Ids,
    DeadLetterFilter? Filter,
    int Max,
    bool DryRun,
    bool IncludeIgnored,
    bool Force,
    string Actor,
    string? Reason);

/// <summary>What a replay did: the result per id; for a replay by filter, whether it was a dry run and how many matched.</summary>
/// <param name="Results">Per id, in the order given (empty for a dry run).</param>
/// <param name="DryRun">For a replay by filter: whether it only counted; null by ids.</param>
/// <param name="Matched">For a replay by filter: how many matched (a dry run counts up to max); null by ids.</param>
internal sealed record DeadLetterReplayOutcome(IReadOnlyList<DeadLetterIdResult> Results, bool? DryRun, int? Matched);

/// <summary>
/// The dead-letter use cases behind <c>/api/dlq</c> (docs/admin-api.md): list, get, ignore, replay,
/// stats. Input arrives typed and validated (<see cref="DeadLetterEndpoints"/> reads it); outcomes
/// are typed; nothing here sees HTTP.
/// </summary>
internal sealed class DeadLetterService(IDeadLetterStore store, DeadLetterReplayer replayer, ILogger<DeadLetterService> logger)
{
    /// <summary>How many dead letters a replay by filter acts on when <c>max</c> is not given.</summary>
    public const int DefaultReplayMax = 1000;

    /// <summary>The list's page size when <c>limit</c> is not given.</summary>
    public const int DefaultPageSize = 50;

    /// <summary>The longest ignore or replay reason accepted.</summary>
    public const int MaxReasonLength = 1000;

    /// <summary>One page, newest first, and where the next starts.</summary>
    public async Task<DeadLetterListOutcome> ListAsync(DeadLetterListQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var page = await store.ListAsync(query.Filter, query.After, query.Limit, cancellationToken).ConfigureAwait(false);
        var next = page.HasMore && page.Items.Count > 0 ? new DeadLetterPosition(page.Items[^1].CreatedAt, page.Items[^1].Id) : (DeadLetterPosition?)null;
        return new DeadLetterListOutcome(page, next);
    }

    /// <summary>The dead letter with its payload and history, or null when none has this id.</summary>
    public Task<DeadLetterDetail?> GetAsync(Guid id, CancellationToken cancellationToken) => store.GetAsync(id, cancellationToken);

    /// <summary>Failed dead letters become ignored; the result per id in the order given; one audit row each.</summary>
    public async Task<IReadOnlyList<DeadLetterIdResult>> IgnoreAsync(DeadLetterIgnoreCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var results = await store.IgnoreAsync(command.Ids, command.Actor, Detail(command.Reason), cancellationToken).ConfigureAwait(false);
        Log.Ignored(logger, command.Actor, results.Count(r => r.Result == DeadLetterIgnoreResults.Ignored), results.Count);
        return results;
    }

    /// <summary>
    /// Replays by ids, or by filter: failed dead letters, plus ignored ones with
    /// <see cref="DeadLetterReplayCommand.IncludeIgnored"/> and replaying ones with
    /// <see cref="DeadLetterReplayCommand.Force"/>; a dry run only counts.
    /// </summary>
    public async Task<DeadLetterReplayOutcome> ReplayAsync(DeadLetterReplayCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var detail = Detail(command.Reason);
        if (command.Ids is { } ids)
        {
            var results = await replayer.ReplayAsync(ids, command.IncludeIgnored, command.Force, command.Actor, detail, cancellationToken).ConfigureAwait(false);
            return new DeadLetterReplayOutcome(results, null, null);
        }

        var filter = command.Filter ?? throw new ArgumentException("A replay names ids or a filter.", nameof(command));
        List<DeadLetterStatus> statuses = [DeadLetterStatus.Failed];
        if (command.IncludeIgnored)
        {
            statuses.Add(DeadLetterStatus.Ignored);
        }

        if (command.Force)
        {
            statuses.Add(DeadLetterStatus.Replaying);
        }

        if (command.DryRun)
        {
            var matched = await store.CountAsync(filter, statuses, command.Max, cancellationToken).ConfigureAwait(false);
            return new DeadLetterReplayOutcome([], true, matched);
        }

        var selected = await store.SelectIdsAsync(filter, statuses, command.Max, cancellationToken).ConfigureAwait(false);
        var replayed = await replayer.ReplayAsync(selected, command.IncludeIgnored, command.Force, command.Actor, detail, cancellationToken).ConfigureAwait(false);
        return new DeadLetterReplayOutcome(replayed, false, selected.Count);
    }

    /// <summary>Counts by status and by source, type and status; the oldest unresolved dead letter's age.</summary>
    public Task<DeadLetterStats> GetStatsAsync(CancellationToken cancellationToken) => store.GetStatsAsync(cancellationToken);

    // The audit rows' detail: {"reason": "..."} (storable text, checked by the adapter).
    private static JsonElement? Detail(string? reason) =>
        reason is null ? null : JsonSerializer.SerializeToElement(new { reason }, JsonDefaults.Options);
}
