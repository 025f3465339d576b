using SalesAuto.Core.Http;

namespace SalesAuto.Server;

/// <summary>Maps Core's route table onto Kestrel: every row, its own handler, Core's authorization; no per-route code here.</summary>
internal static class Endpoints
{
    public static void MapSalesAutoRoutes(this IEndpointRouteBuilder app)
    {
        foreach (var route in Routes.All)
        {
            app.MapMethods(route.Label, [route.Method], (HttpContext context, RouteDispatcher dispatcher) => dispatcher.InvokeAsync(route, context, context.RequestAborted))
                .WithName(route.Name);
        }
    }
}
