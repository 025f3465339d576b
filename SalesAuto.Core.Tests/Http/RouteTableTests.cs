using Microsoft.AspNetCore.Routing;
using SalesAuto.Core.Http;
using SalesAuto.Core.Tests.Infrastructure;
using SalesAuto.Server;

namespace SalesAuto.Core.Tests.Http;

public sealed class RouteTableTests
{
    [Fact]
    public void Server_MapsExactlyCoresRouteTable()
    {
        using var app = ServerApp.Build([], b => b.Configuration.AddInMemoryCollection(RunningServer.DefaultSettings(TestEnvironment.PostgresConnectionString, "routes:")));

        var served = ((IEndpointRouteBuilder)app).DataSources
            .SelectMany(source => source.Endpoints)
            .OfType<RouteEndpoint>()
            .SelectMany(endpoint => (endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["*"])
                .Select(method => $"{method} {endpoint.RoutePattern.RawText}"))
            .Order(StringComparer.Ordinal)
            .ToList();
        var expected = Routes.All
            .Select(route => $"{route.Method} /{Routes.Prefix}/{route.Template}")
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.Equal(expected, served);
    }

    [Fact]
    public void RouteTable_HasUniqueNamesAndNothingTheFunctionsHostReserves()
    {
        Assert.Equal(Routes.All.Count, Routes.All.Select(r => r.Name).Distinct(StringComparer.Ordinal).Count());
        Assert.All(Routes.All, route =>
        {
            Assert.False(route.Template.StartsWith("admin", StringComparison.OrdinalIgnoreCase), route.Template);
            Assert.False(route.Template.StartsWith("runtime", StringComparison.OrdinalIgnoreCase), route.Template);
        });
    }
}
