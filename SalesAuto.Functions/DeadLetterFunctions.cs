using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using SalesAuto.Core.DeadLetters;
using SalesAuto.Core.Http;

namespace SalesAuto.Functions;

/// <summary>
/// The dead-letter admin API; a function key is required (header <c>x-functions-key</c> or query
/// <c>code</c>). The host orders routes literal-first, so <c>dlq/stats</c> never reaches <c>dlq/{id}</c>.
/// </summary>
public sealed class DeadLetterFunctions(DeadLetterEndpoints endpoints)
{
    [Function(nameof(ListDeadLetters))]
    public Task<IResult> ListDeadLetters(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = Routes.DeadLetters)] HttpRequest request,
        CancellationToken cancellationToken) =>
        endpoints.ListAsync(request.HttpContext, cancellationToken);

    [Function(nameof(GetDeadLetter))]
    public Task<IResult> GetDeadLetter(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = Routes.DeadLetter)] HttpRequest request,
        string id,
        CancellationToken cancellationToken) =>
        endpoints.GetAsync(request.HttpContext, id, cancellationToken);

    [Function(nameof(ReplayDeadLetters))]
    public Task<IResult> ReplayDeadLetters(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = Routes.DeadLetterReplay)] HttpRequest request,
        CancellationToken cancellationToken) =>
        endpoints.ReplayAsync(request.HttpContext, cancellationToken);

    [Function(nameof(IgnoreDeadLetters))]
    public Task<IResult> IgnoreDeadLetters(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = Routes.DeadLetterIgnore)] HttpRequest request,
        CancellationToken cancellationToken) =>
        endpoints.IgnoreAsync(request.HttpContext, cancellationToken);

    [Function(nameof(GetDeadLetterStats))]
    public Task<IResult> GetDeadLetterStats(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = Routes.DeadLetterStats)] HttpRequest request,
        CancellationToken cancellationToken) =>
        endpoints.GetStatsAsync(request.HttpContext, cancellationToken);
}
