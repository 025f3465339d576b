using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using SalesAuto.Core.Http;

namespace SalesAuto.Functions;

/// <summary>
/// The dead-letter admin API. Anonymous at the host: Core checks the admin key. <c>dlq/{id:guid}</c>
/// is constrained because the host matches routes first-match in function-name order.
/// </summary>
public sealed class DeadLetterFunctions(RouteDispatcher routes)
{
    [Function(nameof(ListDeadLetters))]
    public Task<IResult> ListDeadLetters(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Routes.DeadLetters)] HttpRequest request,
        CancellationToken cancellationToken) =>
        routes.InvokeAsync(nameof(ListDeadLetters), request, cancellationToken);

    [Function(nameof(GetDeadLetter))]
    public Task<IResult> GetDeadLetter(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Routes.DeadLetter)] HttpRequest request,
        string id,
        CancellationToken cancellationToken) =>
        routes.InvokeAsync(nameof(GetDeadLetter), request, cancellationToken, (nameof(id), id));

    [Function(nameof(ReplayDeadLetters))]
    public Task<IResult> ReplayDeadLetters(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = Routes.DeadLetterReplay)] HttpRequest request,
        CancellationToken cancellationToken) =>
        routes.InvokeAsync(nameof(ReplayDeadLetters), request, cancellationToken);

    [Function(nameof(IgnoreDeadLetters))]
    public Task<IResult> IgnoreDeadLetters(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = Routes.DeadLetterIgnore)] HttpRequest request,
        CancellationToken cancellationToken) =>
        routes.InvokeAsync(nameof(IgnoreDeadLetters), request, cancellationToken);

    [Function(nameof(GetDeadLetterStats))]
    public Task<IResult> GetDeadLetterStats(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Routes.DeadLetterStats)] HttpRequest request,
        CancellationToken cancellationToken) =>
        routes.InvokeAsync(nameof(GetDeadLetterStats), request, cancellationToken);
}
