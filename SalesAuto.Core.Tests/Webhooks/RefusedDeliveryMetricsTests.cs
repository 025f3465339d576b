using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using SalesAuto.Core.Tests.Infrastructure;

namespace SalesAuto.Core.Tests.Webhooks;

/// <summary>
/// A delivery answered 503 because its orphans cannot be parked (Redis down, the queue full) is
/// counted once, where the help text says: its events as <c>salesauto_webhook_events_total{outcome="failed"}</c>,
/// never also as a rejection "before processing" (so one outage fires one alert). Read from the scrape.
/// </summary>
public sealed partial class RefusedDeliveryMetricsTests(PostgresSchema schema) : IClassFixture<PostgresSchema>
{
    private const string Token = "lemlist-token-refusal-metrics";

    [Fact]
    public async Task DeliveryRefusedBecauseRedisIsDown_IsCountedOnce_AsFailedEvents()
    {
        var settings = Settings();
        settings["ConnectionStrings:Redis"] = $"127.0.0.1:{TestEnvironment.ClosedPort()},abortConnect=false,connectTimeout=300,syncTimeout=500,asyncTimeout=500";
        await using var server = await RunningServer.StartAsync(settings);

        using var refused = await PostAsync(server, $$"""[{{Activity("nobody1@example.com")}},{{Activity("nobody2@example.com")}}]""");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        var scrape = await ScrapeAsync(server);
        Assert.Equal(2, Value(scrape, "salesauto_webhook_events_total", "source=\"lemlist\"", "outcome=\"failed\""));
        Assert.Equal(0, SumOf(scrape, "salesauto_webhook_rejected_total"));
        Assert.DoesNotContain("queue_unavailable", scrape, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeliveryRefusedBecauseTheQueueIsFull_IsCountedOnce_AsFailedEvents()
    {
        var settings = Settings();
        settings["RetryQueue:MaxLength"] = "1";
        await using var server = await RunningServer.StartAsync(settings);

        using var parked = await PostAsync(server, Activity("first@example.com"));
        using var refused = await PostAsync(server, Activity("second@example.com"));

        Assert.Equal(HttpStatusCode.OK, parked.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        var scrape = await ScrapeAsync(server);
        Assert.Equal(1, Value(scrape, "salesauto_webhook_events_total", "source=\"lemlist\"", "outcome=\"orphaned\""));
        Assert.Equal(1, Value(scrape, "salesauto_webhook_events_total", "source=\"lemlist\"", "outcome=\"failed\""));
        Assert.Equal(0, SumOf(scrape, "salesauto_webhook_rejected_total"));
    }

    [Fact]
    public async Task DeliveryRejectedBeforeProcessing_IsCountedAsARejection_AndNotAsFailedEvents()
    {
        await using var server = await RunningServer.StartAsync(Settings());

        using var rejected = await server.Client.PostAsync("/api/webhooks/lemlist?token=wrong-token-wrong", RunningServer.Json(Activity("x@example.com")), TestContext.Token);

        Assert.Equal(HttpStatusCode.Unauthorized, rejected.StatusCode);
        var scrape = await ScrapeAsync(server);
        Assert.Equal(1, Value(scrape, "salesauto_webhook_rejected_total", "source=\"lemlist\"", "reason=\"signature\""));
        Assert.Equal(0, SumOf(scrape, "salesauto_webhook_events_total"));
    }

    private Dictionary<string, string?> Settings()
    {
        var settings = RunningServer.DefaultSettings(schema.ConnectionString, TestEnvironment.UniqueName("refusal") + ":");
        settings["Webhooks:Sources:lemlist:Kind"] = "Lemlist";
        settings["Webhooks:Sources:lemlist:Secrets:0"] = Token;
        return settings;
    }

    private static string Activity(string email) =>
        $$"""{"_id":"act_{{Guid.NewGuid():N}}","type":"emailsOpened","campaignId":"cam_{{Guid.NewGuid():N}}","leadEmail":"{{email}}","createdAt":"2026-11-23T10:00:00Z"}""";

    private static Task<HttpResponseMessage> PostAsync(RunningServer server, string body) =>
        server.Client.PostAsync($"/api/webhooks/lemlist?token={Token}", RunningServer.Json(body), TestContext.Token);

    private static async Task<string> ScrapeAsync(RunningServer server)
    {
        using var response = await server.Client.GetAsync("/api/metrics", TestContext.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync(TestContext.Token);
    }

    // The value of the one sample of <paramref name="metric"/> whose labels include every one given; 0 when absent.
    private static double Value(string scrape, string metric, params string[] labels)
    {
        var samples = Samples(scrape, metric).Where(s => labels.All(l => s.Labels.Contains(l, StringComparison.Ordinal))).ToList();
        Assert.True(samples.Count <= 1, $"{samples.Count} samples of {metric} match {string.Join(',', labels)}");
        return samples.Count == 0 ? 0 : samples[0].Value;
    }

    private static double SumOf(string scrape, string metric) => Samples(scrape, metric).Sum(s => s.Value);

    private static IEnumerable<(string Labels, double Value)> Samples(string scrape, string metric) =>
        scrape.Split('\n')
            .Select(line => Sample().Match(line))
            .Where(m => m.Success && m.Groups["name"].Value == metric)
            .Select(m => (m.Groups["labels"].Value, double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture)));

    [GeneratedRegex(@"^(?<name>[a-z_]+)(?:\{(?<labels>[^}]*)\})? (?<value>\S+)$")]
    private static partial Regex Sample();
}
