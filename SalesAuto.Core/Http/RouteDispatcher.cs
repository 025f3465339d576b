using Microsoft.AspNetCore.Http;

namespace SalesAuto.Core.Http;

/// <summary>
/// Serves one row of <see cref="Routes.All"/> the same way on both hosts: Core's authorization
/// step for the key routes, then the route's handler.
/// </summary>
public sealed class RouteDispatcher(AdminAuthorizer authorizer)
{
    /// <summary>Authorizes and handles <paramref name="route"/>; route values must already be in the request.</summary>
    public async Task<IResult> InvokeAsync(Routes.RouteDefinition route, HttpContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(route);
        ArgumentNullException.ThrowIfNull(context);
        return authorizer.Authorize(route, context) ?? await route.Handle(context, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// For a host that binds route parameters itself (a Functions trigger): puts
    /// <paramref name="routeValues"/> into the request, then serves the route called <paramref name="name"/>.
    /// </summary>
    public Task<IResult> InvokeAsync(string name, HttpRequest request, CancellationToken cancellationToken, params (string Name, string? Value)[] routeValues)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(routeValues);
        foreach (var (key, value) in routeValues)
        {
            request.RouteValues[key] = value;
        }

        return InvokeAsync(Routes.Named(name), request.HttpContext, cancellationToken);
    }
}
