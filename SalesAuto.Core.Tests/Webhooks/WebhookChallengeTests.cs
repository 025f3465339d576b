using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using SalesAuto.Core.Tests.Infrastructure;
using SalesAuto.Core.Webhooks;

namespace SalesAuto.Core.Tests.Webhooks;

/// <summary>
/// Every 401 of the webhook route carries a WWW-Authenticate challenge naming the source's method
/// (RFC 9110 §11.6.1, §15.5.2); and a Svix-signed delivery (svix-* headers) is accepted over HTTP.
/// </summary>
public sealed class WebhookChallengeTests(WebhookServerFixture fixture) : IClassFixture<WebhookServerFixture>
{
    private RunningServer Server => fixture.Server;

    [Theory]
    [InlineData("/api/webhooks/hubspot", "hubspot", "HubSpot-Signature-v3", "header=\"X-HubSpot-Signature-v3\", timestamp=\"X-HubSpot-Request-Timestamp\"")]
    [InlineData("/api/webhooks/lemlist", "lemlist", "Lemlist-Token", "query=\"token\"")]
    [InlineData("/api/webhooks/lemlist?token=wrong-token-wrong", "lemlist", "Lemlist-Token", "query=\"token\"")]
    [InlineData("/api/webhooks/std", "std", "Standard-Webhooks-v1", "headers=\"webhook-id webhook-timestamp webhook-signature\"")]
    public async Task Webhook401_CarriesTheChallengeOfTheSourcesMethod(string path, string realm, string scheme, string parameters)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent("[]", new MediaTypeHeaderValue("application/json")) };

        using var response = await Server.Client.SendAsync(request, TestContext.Token);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var challenge = Assert.Single(response.Headers.WwwAuthenticate);
        Assert.Equal(scheme, challenge.Scheme);
        Assert.Equal($"realm=\"{realm}\", {parameters}", challenge.Parameter);
    }

    [Fact]
    public async Task Webhook401_CarriesTheChallenge_WhenTheTimestampIsOutOfTheWindow()
    {
        var body = WebhookHttpTests.CanonicalEvents($"cam_{Guid.NewGuid():N}", "old@example.com", 1);
        var timestamp = DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeSeconds();

        using var response = await PostSignedAsync(body, "webhook", "msg_old", timestamp, WebhookServerFixture.StandardSecret);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Standard-Webhooks-v1", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
    }

    [Theory]
    [InlineData("svix")]
    [InlineData("webhook")]
    public async Task StandardWebhooksSource_AcceptsEitherHeaderFamily_AndAnswersWithoutAChallenge(string family)
    {
        var body = WebhookHttpTests.CanonicalEvents($"cam_{Guid.NewGuid():N}", "svix@example.com", 2);

        using var response = await PostSignedAsync(body, family, $"msg_{Guid.NewGuid():N}", DateTimeOffset.UtcNow.ToUnixTimeSeconds(), WebhookServerFixture.StandardSecret);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(response.Headers.WwwAuthenticate);
    }

    [Fact]
    public void Challenge_QuotesTheRealm_AsAQuotedString()
    {
        Assert.Equal("Lemlist-Token realm=\"we\\\"ird\\\\name\", query=\"token\"", WebhookChallenge.For("we\"ird\\name", WebhookSourceKind.Lemlist));
    }

    private async Task<HttpResponseMessage> PostSignedAsync(string body, string family, string id, long timestamp, string secret)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/webhooks/std") { Content = new StringContent(body, new MediaTypeHeaderValue("application/json")) };
        request.Headers.Add($"{family}-id", id);
        request.Headers.Add($"{family}-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add($"{family}-signature", Signatures.StandardWebhooks(secret, id, timestamp, body));
        return await Server.Client.SendAsync(request, TestContext.Token);
    }
}
