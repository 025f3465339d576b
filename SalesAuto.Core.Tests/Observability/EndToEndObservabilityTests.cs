using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using SalesAuto.Core.RetryQueue;
using SalesAuto.Core.Tests.Infrastructure;
using SalesAuto.Core.Tests.Webhooks;

namespace SalesAuto.Core.Tests.Observability;

/// <summary>
/// A full flow (webhooks of every kind, a rejected delivery, an orphan that dead-letters, a
/// replay, an ignore) through one server whose logs are captured: the scrape afterwards shows the
/// expected values, and no log line holds an email, a secret, a token or a payload.
/// </summary>
public sealed class EndToEndObservabilityTests : IAsyncLifetime
{
    private const string PayloadMarker = "payload-marker-7f3a";
    private readonly PostgresSchema _schema = new();
    private readonly CapturingLoggerProvider _logs = new();
    private RunningServer _server = null!;

    public async Task InitializeAsync()
    {
        await _schema.InitializeAsync();
        var settings = RunningServer.DefaultSettings(_schema.ConnectionString, TestEnvironment.UniqueName("e2e") + ":");
        settings["Logging:LogLevel:Default"] = "Debug";
        settings["RetryQueue:Delays"] = "00:00:00.050";
        settings["RetryQueue:MaxAttempts"] = "2";
        settings["RetryQueue:JitterMax"] = "00:00:00";
        settings["RetryQueue:Schedule"] = "*/1 * * * * *";
        settings["Webhooks:PublicBaseUrl"] = WebhookServerFixture.PublicBaseUrl;
        settings["Webhooks:Sources:hubspot:Kind"] = "HubSpot";
        settings["Webhooks:Sources:hubspot:Secrets:0"] = WebhookServerFixture.HubSpotSecret;
        settings["Webhooks:Sources:lemlist:Kind"] = "Lemlist";
        settings["Webhooks:Sources:lemlist:Secrets:0"] = WebhookServerFixture.LemlistToken;
        settings["Webhooks:Sources:std:Kind"] = "StandardWebhooks";
        settings["Webhooks:Sources:std:Secrets:0"] = WebhookServerFixture.StandardSecret;
        _server = await RunningServer.StartAsync(settings, builder => builder.Logging.AddProvider(_logs));
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _schema.DisposeAsync();
    }

    [Fact]
    public async Task FullFlow_ScrapeShowsExpectedValues_AndLogsHoldNoPersonalDataOrSecrets()
    {
        const string knownEmail = "known.person@example.com";
        const string orphanEmail = "orphan.person@example.com";
        var campaign = $"cam_{Guid.NewGuid():N}";
        await PostAsync(_server.Admin, "/api/enrollments", $$"""{"campaignId":"{{campaign}}","email":"{{knownEmail}}","crmContactId":"424242"}""");

        var lemlistUrl = $"/api/webhooks/lemlist?token={WebhookServerFixture.LemlistToken}";
        var applied = Activity(campaign, knownEmail);
        Assert.Equal(HttpStatusCode.OK, await PostAsync(_server.Client, lemlistUrl, applied));
        Assert.Equal(HttpStatusCode.OK, await PostAsync(_server.Client, lemlistUrl, applied));
        Assert.Equal(HttpStatusCode.OK, await PostAsync(_server.Client, lemlistUrl, Activity(campaign, orphanEmail)));
        Assert.Equal(HttpStatusCode.Unauthorized, await PostAsync(_server.Client, "/api/webhooks/lemlist?token=wrong-token-value", applied));
        Assert.Equal(HttpStatusCode.Unauthorized, await PostAsync(_server.Client, "/api/webhooks/hubspot", WebhookHttpTests.HubSpotBatch("424242", 2)));

        // The orphan spends its two attempts and becomes a dead letter; then it is replayed and ignored.
        var cycle = _server.Services.GetRequiredService<RetryCycle>();
        for (var i = 0; i < 40 && (await cycle.RunAsync(TestContext.Token)).DeadLettered == 0; i++)
        {
            await Task.Delay(60, TestContext.Token);
        }

        using var list = await _server.Admin.GetAsync("/api/dlq", TestContext.Token);
        var deadLetterId = JsonDocument.Parse(await list.Content.ReadAsStringAsync(TestContext.Token)).RootElement.GetProperty("items")[0].GetProperty("id").GetGuid();
        Assert.Equal(HttpStatusCode.OK, await PostAsync(_server.Admin, "/api/dlq/replay", $$"""{"ids":["{{deadLetterId}}"]}"""));
        for (var i = 0; i < 40 && (await cycle.RunAsync(TestContext.Token)).DeadLettered == 0; i++)
        {
            await Task.Delay(60, TestContext.Token);
        }

        Assert.Equal(HttpStatusCode.OK, await PostAsync(_server.Admin, "/api/dlq/ignore", $$"""{"ids":["{{deadLetterId}}"]}"""));

        var scrape = await _server.Client.GetStringAsync("/api/metrics", TestContext.Token);
        Assert.Contains("salesauto_webhook_events_total{source=\"lemlist\",outcome=\"applied\"} 1", scrape, StringComparison.Ordinal);
        Assert.Contains("salesauto_webhook_events_total{source=\"lemlist\",outcome=\"duplicate\"} 1", scrape, StringComparison.Ordinal);
        Assert.Contains("salesauto_webhook_events_total{source=\"lemlist\",outcome=\"orphaned\"} 1", scrape, StringComparison.Ordinal);
        Assert.Contains("salesauto_webhook_rejected_total{source=\"lemlist\",reason=\"signature\"} 1", scrape, StringComparison.Ordinal);
        Assert.Contains("salesauto_webhook_rejected_total{source=\"hubspot\",reason=\"signature\"} 1", scrape, StringComparison.Ordinal);
        // Parked twice: by the webhook, then again by the replay (through the same intake).
        Assert.Contains("salesauto_orphans_enqueued_total{source=\"lemlist\"} 2", scrape, StringComparison.Ordinal);
        Assert.Contains("salesauto_orphans_dead_lettered_total 2", scrape, StringComparison.Ordinal);
        Assert.Contains("salesauto_orphans_processed_total{outcome=\"dead_lettered\"} 2", scrape, StringComparison.Ordinal);
        Assert.Contains("salesauto_orphans_processed_total{outcome=\"rescheduled\"} 2", scrape, StringComparison.Ordinal);
        Assert.Contains("salesauto_orphan_queue_depth{state=\"due\"} 0", scrape, StringComparison.Ordinal);
        Assert.Contains("salesauto_http_requests_total{route=\"/api/webhooks/{source}\",method=\"POST\",status=\"200\"} 3", scrape, StringComparison.Ordinal);
        Assert.Contains("salesauto_http_requests_total{route=\"/api/dlq/replay\",method=\"POST\",status=\"200\"} 1", scrape, StringComparison.Ordinal);
        Assert.Matches("salesauto_retry_cycles_total\\{result=\"completed\"\\} [1-9]", scrape);
        Assert.Matches("salesauto_orphan_attempts_count [1-9]", scrape);

        var lines = _logs.Lines.ToList();
        Assert.NotEmpty(lines);
        string[] forbidden =
        [
            knownEmail, orphanEmail, "@example.com", WebhookServerFixture.LemlistToken, "wrong-token-value", WebhookServerFixture.HubSpotSecret,
            WebhookServerFixture.StandardSecret, RunningServer.AdminKey, PayloadMarker,
        ];
        foreach (var secret in forbidden)
        {
            var leaking = lines.FirstOrDefault(line => line.Contains(secret, StringComparison.OrdinalIgnoreCase));
            Assert.True(leaking is null, $"'{secret}' appears in a log line: {leaking}");
        }

        // Every line written while serving a request carries its correlation id.
        Assert.Contains(lines, line => line.Contains("CorrelationId", StringComparison.Ordinal));
    }

    private static string Activity(string campaign, string email) =>
        $$"""{"_id":"act_{{Guid.NewGuid():N}}","type":"emailsOpened","createdAt":"2026-11-23T10:15:02Z","campaignId":"{{campaign}}","leadEmail":"{{email}}","note":"{{PayloadMarker}}"}""";

    private static async Task<HttpStatusCode> PostAsync(HttpClient client, string path, string json)
    {
        using var response = await client.PostAsync(path, RunningServer.Json(json), TestContext.Token);
        return response.StatusCode;
    }
}
