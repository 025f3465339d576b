using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using SalesAuto.Core.Http;

namespace SalesAuto.Functions;

/// <summary>
/// The operator console: its page and embedded files, anonymous (they hold no data; the page's
/// calls carry the admin key). Core serves only the files it embeds and sets the security headers.
/// </summary>
public sealed class ConsoleFunctions(RouteDispatcher routes)
{
    [Function(nameof(GetConsole))]
    public Task<IResult> GetConsole(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Routes.Console)] HttpRequest request,
        CancellationToken cancellationToken) =>
        routes.InvokeAsync(nameof(GetConsole), request, cancellationToken);

    [Function(nameof(GetConsoleAsset))]
    public Task<IResult> GetConsoleAsset(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Routes.ConsoleAsset)] HttpRequest request,
        string asset,
        CancellationToken cancellationToken) =>
        routes.InvokeAsync(nameof(GetConsoleAsset), request, cancellationToken, (nameof(asset), asset));
}
