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

    // The Functions host tries routes in function-name order and takes the first that matches
    // (Azure/azure-functions-host#9876): found on a real host, an unconstrained dlq/{id} answered
    // GET /api/dlq/stats. So no template may match a path that another route of the same method
    // serves, whatever the order: each route's path (parameters filled with a value their
    // constraint accepts) must be matched by that route alone.
    [Fact]
    public void RouteTable_NoTemplateCapturesAnotherRoutesPath_UnderFirstMatchOrdering()
    {
        foreach (var route in Routes.All)
        {
            var path = SamplePath(route.Template);
            var matching = Routes.All
                .Where(other => other.Method == route.Method && Matches(other.Template, path))
                .Select(other => other.Name)
                .ToList();
            Assert.True(matching.SequenceEqual([route.Name]), $"{route.Method} /{path} is matched by {string.Join(", ", matching)}; want {route.Name} alone");
        }
    }

    [Theory]
    [InlineData("dlq/{id:guid}", "dlq/stats", false)]
    [InlineData("dlq/{id:guid}", "dlq/3f2b0c4e-8d1a-4e6b-9c2d-5a7e1f0b3c9d", true)]
    [InlineData("dlq/{id}", "dlq/stats", true)]
    [InlineData("webhooks/{source}", "webhooks/hubspot", true)]
    [InlineData("campaigns/{campaignId}/stats", "campaigns/c1/other", false)]
    public void Matches_FollowsTheHostsRules(string template, string path, bool expected) =>
        Assert.Equal(expected, Matches(template, path));

    private static string SamplePath(string template) => string.Join('/', template.Split('/').Select(segment =>
        !segment.StartsWith('{') ? segment
        : segment.Contains(":guid", StringComparison.Ordinal) ? "3f2b0c4e-8d1a-4e6b-9c2d-5a7e1f0b3c9d"
        : "sample"));

    private static bool Matches(string template, string path)
    {
        var parts = template.Split('/');
        var segments = path.Split('/');
        return parts.Length == segments.Length && parts.Zip(segments).All(pair => pair.First switch
        {
            ['{', ..] when pair.First.Contains(":guid", StringComparison.Ordinal) => Guid.TryParse(pair.Second, out _),
            ['{', ..] when pair.First.Contains(':', StringComparison.Ordinal) => throw new InvalidOperationException($"constraint of {pair.First} is not modelled here"),
            ['{', ..] => pair.Second.Length > 0,
            var literal => string.Equals(literal, pair.Second, StringComparison.OrdinalIgnoreCase),
        });
    }
}
