using System.Net;
using System.Text.Json;
using SalesAuto.Core.Tests.Infrastructure;

namespace SalesAuto.Core.Tests.Observability;

public sealed class HttpObservabilityTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private RunningServer Server => fixture.Server;

    [Fact]
    public async Task HttpMetrics_UseTheRouteTemplate_SoManyIdsMakeOneSeries()
    {
        for (var i = 0; i < 1000; i++)
        {
            using var response = await Server.Admin.GetAsync($"/api/dlq/{Guid.NewGuid()}", TestContext.Token);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }

        var series = await ScrapeAsync("salesauto_http_requests_total{");

        var dlq = series.Where(line => line.Contains("route=\"/api/dlq/{id:guid}\"", StringComparison.Ordinal)).ToList();
        Assert.Single(dlq);
        Assert.EndsWith(" 1000", dlq[0], StringComparison.Ordinal);
        Assert.All(
            series.Where(line => line.Contains("route=\"/api/dlq/", StringComparison.Ordinal)),
            line => Assert.Matches("route=\"/api/dlq/(\\{id:guid\\}|replay|ignore|stats)\"", line));
        Assert.True(series.Count < 20, $"{series.Count} series");
    }

    [Fact]
    public async Task HttpMetrics_PutUnmatchedPathsUnderOneLabel()
    {
        for (var i = 0; i < 50; i++)
        {
            using var response = await Server.Client.GetAsync($"/nothing/here/{i}", TestContext.Token);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        var series = await ScrapeAsync("salesauto_http_requests_total{");

        Assert.DoesNotContain(series, line => line.Contains("/nothing/", StringComparison.Ordinal));
        Assert.Contains(series, line => line.Contains("route=\"unmatched\"", StringComparison.Ordinal) && line.Contains("status=\"404\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CorrelationId_IsEchoed_AndCarriedInProblems()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/campaigns/c1/stats");
        request.Headers.Add("X-Request-ID", "req-12345.abc");

        using var response = await Server.Client.SendAsync(request, TestContext.Token);

        Assert.Equal("req-12345.abc", response.Headers.GetValues("X-Request-ID").Single());
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Token)).RootElement;
        Assert.Equal("req-12345.abc", problem.GetProperty("correlationId").GetString());
    }

    [Fact]
    public async Task CorrelationId_IsReplaced_WhenTheCallersIsUnsafe()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/health");
        request.Headers.TryAddWithoutValidation("X-Request-ID", "bad id with spaces and \"quotes\"");

        using var response = await Server.Client.SendAsync(request, TestContext.Token);

        var id = response.Headers.GetValues("X-Request-ID").Single();
        Assert.Matches("^[0-9a-f]{32}$", id);
    }

    [Fact]
    public async Task Metrics_RequireAKey_WhenConfigured()
    {
        var settings = RunningServer.DefaultSettings(fixture.Schema.ConnectionString, fixture.KeyPrefix);
        settings["Metrics:RequireKey"] = "true";
        await using var locked = await RunningServer.StartAsync(settings);

        using var anonymous = await locked.Client.GetAsync("/api/metrics", TestContext.Token);
        using var withKey = await locked.Admin.GetAsync("/api/metrics", TestContext.Token);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.OK, withKey.StatusCode);
        Assert.StartsWith("text/plain", withKey.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
    }

    private async Task<List<string>> ScrapeAsync(string prefix)
    {
        var text = await Server.Client.GetStringAsync("/api/metrics", TestContext.Token);
        return text.Split('\n').Where(line => line.StartsWith(prefix, StringComparison.Ordinal)).ToList();
    }
}
