using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using SalesAuto.Core.Tests.Infrastructure;

namespace SalesAuto.Core.Tests.Webhooks;

/// <summary>Webhook ingestion through real HTTP on SalesAuto.Server, signatures computed from the specs.</summary>
public sealed class WebhookHttpTests(WebhookServerFixture fixture) : IClassFixture<WebhookServerFixture>
{
    private RunningServer Server => fixture.Server;

    [Fact]
    public async Task HubSpot_Accepts_WhenSignedOverThePublicUri()
    {
        var contact = NewId();
        await EnrollAsync(NewId("cam"), $"{contact}@example.com", contact);
        var body = HubSpotBatch(contact, 3);

        using var response = await PostHubSpotAsync(body, WebhookServerFixture.HubSpotSecret);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = await ReadJsonAsync(response);
        Assert.Equal(3, result.GetProperty("received").GetInt32());
        Assert.Equal(3, result.GetProperty("applied").GetInt32());
    }

    [Fact]
    public async Task HubSpot_Accepts_WithThePreviousSecret_DuringRotation()
    {
        using var response = await PostHubSpotAsync(HubSpotBatch(NewId(), 1), WebhookServerFixture.HubSpotOldSecret);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("wrong-secret", 0, "")]
    [InlineData(WebhookServerFixture.HubSpotSecret, -6 * 60 * 1000, "")]
    [InlineData(WebhookServerFixture.HubSpotSecret, 6 * 60 * 1000, "")]
    [InlineData(WebhookServerFixture.HubSpotSecret, 0, "http://127.0.0.1/api/webhooks/hubspot")]
    public async Task HubSpot_Is401_WhenSignatureSecretTimestampOrUriIsWrong(string secret, long skewMs, string signedUri)
    {
        using var response = await PostHubSpotAsync(HubSpotBatch(NewId(), 1), secret, skewMs, string.IsNullOrEmpty(signedUri) ? null : signedUri);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task HubSpot_Is401_WhenBodyIsTamperedAfterSigning()
    {
        var body = HubSpotBatch(NewId(), 1);
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var signature = Signatures.HubSpotV3(WebhookServerFixture.HubSpotSecret, "POST", $"{WebhookServerFixture.PublicBaseUrl}/api/webhooks/hubspot", body, timestamp);
        using var request = JsonRequest("/api/webhooks/hubspot", body.Replace("62515", "62516", StringComparison.Ordinal));
        request.Headers.Add("X-HubSpot-Signature-v3", signature);
        request.Headers.Add("X-HubSpot-Request-Timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));

        using var response = await Server.Client.SendAsync(request, TestContext.Token);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task HubSpot_Is401_WhenHeadersAreMissing()
    {
        using var response = await Server.Client.SendAsync(JsonRequest("/api/webhooks/hubspot", HubSpotBatch(NewId(), 1)), TestContext.Token);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Lemlist_AcceptsTheToken_AndRejectsAWrongOrMissingOne()
    {
        var body = LemlistActivity(NewId("cam"), "ann@example.com", "emailsOpened");

        using var good = await Server.Client.SendAsync(JsonRequest($"/api/webhooks/lemlist?token={WebhookServerFixture.LemlistToken}", body), TestContext.Token);
        using var wrong = await Server.Client.SendAsync(JsonRequest("/api/webhooks/lemlist?token=nope-nope-nope", body), TestContext.Token);
        using var missing = await Server.Client.SendAsync(JsonRequest("/api/webhooks/lemlist", body), TestContext.Token);

        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
    }

    [Fact]
    public async Task StandardWebhooks_Accepts_WhenOneOfSeveralSignaturesMatches()
    {
        var body = CanonicalEvents(NewId("cam"), "bea@example.com", 2);
        var id = "msg_" + NewId();
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var wrong = Signatures.StandardWebhooks("whsec_" + Convert.ToBase64String(Encoding.UTF8.GetBytes("another-secret-entirely")), id, timestamp, body);
        var right = Signatures.StandardWebhooks(WebhookServerFixture.StandardOldSecret, id, timestamp, body);

        using var response = await PostStandardAsync(body, id, timestamp, $"{wrong} {right}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, (await ReadJsonAsync(response)).GetProperty("received").GetInt32());
    }

    [Theory]
    [InlineData(0, "tampered")]
    [InlineData(-400, "")]
    [InlineData(400, "")]
    [InlineData(0, "v2")]
    public async Task StandardWebhooks_Is401_WhenSignatureOrTimestampIsWrong(long skewSeconds, string variant)
    {
        var body = CanonicalEvents(NewId("cam"), "bea@example.com", 1);
        var id = "msg_" + NewId();
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds() + skewSeconds;
        var signature = Signatures.StandardWebhooks(WebhookServerFixture.StandardSecret, id, timestamp, body);
        if (variant == "v2")
        {
            signature = "v2," + signature[3..];
        }

        using var response = await PostStandardAsync(variant == "tampered" ? body.Replace("bea@", "bob@", StringComparison.Ordinal) : body, id, timestamp, signature);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Webhook_Is404_ForAnUnknownSource()
    {
        using var response = await Server.Client.SendAsync(JsonRequest("/api/webhooks/nosuchsource", "[]"), TestContext.Token);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Webhook_Is415_WhenBodyIsNotJson()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/webhooks/lemlist?token={WebhookServerFixture.LemlistToken}")
        {
            Content = new StringContent("<xml/>", Encoding.UTF8, "text/xml"),
        };

        using var response = await Server.Client.SendAsync(request, TestContext.Token);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Fact]
    public async Task Webhook_Is413_WhenBodyIsOverTheLimit_EvenWithoutContentLength()
    {
        var huge = "[" + string.Join(",", Enumerable.Repeat("{\"pad\":\"" + new string('x', 1000) + "\"}", 100)) + "]";
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/webhooks/lemlist?token={WebhookServerFixture.LemlistToken}")
        {
            // A stream without a length goes out chunked: the limit must hold while reading.
            Content = new StreamContent(new NonSeekableStream(Encoding.UTF8.GetBytes(huge))),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        using var response = await Server.Client.SendAsync(request, TestContext.Token);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Theory]
    [InlineData("{")]
    [InlineData("[]")]
    [InlineData("\"just a string\"")]
    [InlineData("{\"_id\":\"a1\"}")]
    [InlineData("{\"_id\":\"a1\",\"type\":\"emailsOpened\",\"campaignId\":\"c\",\"leadEmail\":\"x@example.com\",\"createdAt\":\"yesterday\"}")]
    public async Task Webhook_Is400_WhenBodyIsMalformed(string body)
    {
        using var response = await Server.Client.SendAsync(JsonRequest($"/api/webhooks/lemlist?token={WebhookServerFixture.LemlistToken}", body), TestContext.Token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await ReadJsonAsync(response);
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
    }

    [Fact]
    public async Task Webhook_CountsDuplicates_WhenTheSameDeliveryArrivesAgain()
    {
        var campaign = NewId("cam");
        await EnrollAsync(campaign, "dup@example.com", null);
        var body = LemlistActivity(campaign, "dup@example.com", "emailsClicked");

        using var first = await Server.Client.SendAsync(JsonRequest($"/api/webhooks/lemlist?token={WebhookServerFixture.LemlistToken}", body), TestContext.Token);
        using var second = await Server.Client.SendAsync(JsonRequest($"/api/webhooks/lemlist?token={WebhookServerFixture.LemlistToken}", body), TestContext.Token);

        Assert.Equal(1, (await ReadJsonAsync(first)).GetProperty("applied").GetInt32());
        var again = await ReadJsonAsync(second);
        Assert.Equal(0, again.GetProperty("applied").GetInt32());
        Assert.Equal(1, again.GetProperty("duplicates").GetInt32());
    }

    [Fact]
    public async Task Webhook_KeepsStatsExact_WhenEightClientsDeliverTheSameEventsConcurrently()
    {
        var campaign = NewId("cam");
        var emails = Enumerable.Range(0, 10).Select(i => $"c{i}@example.com").ToList();
        foreach (var email in emails)
        {
            await EnrollAsync(campaign, email, null);
        }

        string[] types = ["emailsSent", "emailsOpened", "emailsClicked"];
        var activities = emails.SelectMany(email => types.Select(type => LemlistActivity(campaign, email, type))).ToList();
        var clients = Enumerable.Range(0, 8).Select(client => Task.Run(async () =>
        {
            var random = new Random(client);
            var applied = 0;
            foreach (var activity in activities.OrderBy(_ => random.Next()))
            {
                using var response = await Server.Client.SendAsync(JsonRequest($"/api/webhooks/lemlist?token={WebhookServerFixture.LemlistToken}", activity), TestContext.Token);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                applied += (await ReadJsonAsync(response)).GetProperty("applied").GetInt32();
            }

            return applied;
        }));

        var applied = (await Task.WhenAll(clients)).Sum();

        Assert.Equal(activities.Count, applied);
        using var stats = await Server.Admin.GetAsync($"/api/campaigns/{campaign}/stats", TestContext.Token);
        var events = (await ReadJsonAsync(stats)).GetProperty("events");
        Assert.Equal(10, events.GetProperty("email.sent").GetInt32());
        Assert.Equal(10, events.GetProperty("email.opened").GetInt32());
        Assert.Equal(10, events.GetProperty("email.clicked").GetInt32());
    }

    [Fact]
    public async Task Webhook_ParksOrphans_AndCountsThem()
    {
        var body = CanonicalEvents(NewId("cam"), "early@example.com", 3);
        var id = "msg_" + NewId();
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        using var response = await PostStandardAsync(body, id, timestamp, Signatures.StandardWebhooks(WebhookServerFixture.StandardSecret, id, timestamp, body));

        var result = await ReadJsonAsync(response);
        Assert.Equal(3, result.GetProperty("orphaned").GetInt32());
        Assert.Equal(0, result.GetProperty("applied").GetInt32());
    }

    [Fact]
    public async Task Webhook_NeverAnswers500_WhateverTheInput()
    {
        var random = new Random(7);
        string[] paths = ["/api/webhooks/lemlist?token=" + WebhookServerFixture.LemlistToken, "/api/webhooks/hubspot", "/api/webhooks/std", "/api/webhooks/%00", "/api/webhooks/" + new string('a', 300)];
        string[] bodies = ["", "null", "[]", "{}", "[null]", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", "{\"_id\":1e999}", "\uFEFF{}", "[{\"eventId\":\"x\"}]", "{\"id\":\"\",\"type\":\"\"}"];
        for (var i = 0; i < 60; i++)
        {
            var body = i < bodies.Length ? bodies[i] : RandomJunk(random);
            using var request = JsonRequest(paths[i % paths.Length], body);
            request.Headers.TryAddWithoutValidation("X-HubSpot-Signature-v3", RandomJunk(random));
            request.Headers.TryAddWithoutValidation("X-HubSpot-Request-Timestamp", i % 2 == 0 ? "99999999999999999999999" : "-1");
            request.Headers.TryAddWithoutValidation("webhook-id", RandomJunk(random));
            request.Headers.TryAddWithoutValidation("webhook-timestamp", "1e10");
            request.Headers.TryAddWithoutValidation("webhook-signature", "v1," + RandomJunk(random));

            using var response = await Server.Client.SendAsync(request, TestContext.Token);

            Assert.True((int)response.StatusCode < 500, $"{(int)response.StatusCode} for body {body}");
        }
    }

    private async Task EnrollAsync(string campaign, string email, string? crmContactId)
    {
        var crm = crmContactId is null ? string.Empty : $",\"crmContactId\":\"{crmContactId}\"";
        using var response = await Server.Admin.PostAsync("/api/enrollments", RunningServer.Json($$"""{"campaignId":"{{campaign}}","email":"{{email}}"{{crm}}}"""), TestContext.Token);
        response.EnsureSuccessStatusCode();
    }

    private async Task<HttpResponseMessage> PostHubSpotAsync(string body, string secret, long skewMs = 0, string? signedUri = null)
    {
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + skewMs;
        var uri = signedUri ?? $"{WebhookServerFixture.PublicBaseUrl}/api/webhooks/hubspot";
        using var request = JsonRequest("/api/webhooks/hubspot", body);
        request.Headers.Add("X-HubSpot-Signature-v3", Signatures.HubSpotV3(secret, "POST", uri, body, timestamp));
        request.Headers.Add("X-HubSpot-Request-Timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return await Server.Client.SendAsync(request, TestContext.Token);
    }

    private async Task<HttpResponseMessage> PostStandardAsync(string body, string id, long timestamp, string signature)
    {
        using var request = JsonRequest("/api/webhooks/std", body);
        request.Headers.Add("webhook-id", id);
        request.Headers.Add("webhook-timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", signature);
        return await Server.Client.SendAsync(request, TestContext.Token);
    }

    private static HttpRequestMessage JsonRequest(string path, string body) =>
        new(HttpMethod.Post, path) { Content = new StringContent(body, new MediaTypeHeaderValue("application/json")) };

    internal static string HubSpotBatch(string contactId, int count) =>
        "[" + string.Join(",", Enumerable.Range(0, count).Select(i =>
            $$"""{"eventId":{{Random.Shared.NextInt64(1, long.MaxValue)}},"subscriptionId":2301445,"portalId":62515,"appId":1160452,"occurredAt":{{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + i}},"subscriptionType":"contact.propertyChange","attemptNumber":0,"objectId":{{contactId}},"propertyName":"lifecyclestage","propertyValue":"lead","changeSource":"CRM"}""")) + "]";

    internal static string LemlistActivity(string campaign, string email, string type) =>
        $$"""{"_id":"act_{{Guid.NewGuid():N}}","type":"{{type}}","createdAt":"2026-11-23T10:15:02.511Z","campaignId":"{{campaign}}","leadEmail":"{{email}}","sequenceStep":1}""";

    internal static string CanonicalEvents(string campaign, string email, int count) =>
        "[" + string.Join(",", Enumerable.Range(0, count).Select(_ =>
            $$$"""{"id":"evt_{{{Guid.NewGuid():N}}}","type":"email.sent","occurredAt":"2026-11-23T10:00:00Z","campaignId":"{{{campaign}}}","email":"{{{email}}}","data":{"step":0}}""")) + "]";

    private static string NewId(string? stem = null) => stem is null
        ? Random.Shared.NextInt64(1_000_000, 999_999_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture)
        : $"{stem}_{Guid.NewGuid():N}";

    private static string RandomJunk(Random random)
    {
        var chars = new char[random.Next(0, 200)];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = (char)random.Next(0x20, 0x7F);
        }

        return new string(chars);
    }

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Token)).RootElement.Clone();

    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
