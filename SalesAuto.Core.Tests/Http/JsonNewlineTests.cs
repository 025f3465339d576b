using System.Net;
using SalesAuto.Core.Tests.Infrastructure;

namespace SalesAuto.Core.Tests.Http;

/// <summary>Every JSON and problem+json body ends with a newline, so a curl user's prompt starts on a line of its own.</summary>
public sealed class JsonNewlineTests(WebhookServerFixture fixture) : IClassFixture<WebhookServerFixture>
{
    private RunningServer Server => fixture.Server;

    public static TheoryData<string, string, string?, bool, HttpStatusCode> Requests => new()
    {
        { "GET", "/api/health", null, false, HttpStatusCode.OK },
        { "GET", "/api/openapi.json", null, false, HttpStatusCode.OK },
        { "POST", "/api/enrollments", """{"campaignId":"cam_newline","email":"nl@example.com"}""", true, HttpStatusCode.Created },
        { "GET", "/api/campaigns/cam_newline/stats", null, true, HttpStatusCode.OK },
        { "GET", "/api/dlq", null, true, HttpStatusCode.OK },
        { "GET", "/api/dlq/stats", null, true, HttpStatusCode.OK },
        { "POST", $"/api/webhooks/lemlist?token={WebhookServerFixture.LemlistToken}", """{"_id":"act_newline","type":"emailsOpened","campaignId":"cam_nl_none","leadEmail":"nl@example.com","createdAt":"2026-11-23T10:00:00Z"}""", false, HttpStatusCode.OK },
        { "POST", "/api/dlq/ignore", """{"ids":["nope"]}""", true, HttpStatusCode.BadRequest },
        { "GET", "/api/dlq", null, false, HttpStatusCode.Unauthorized },
        { "GET", "/api/nothing-here", null, false, HttpStatusCode.NotFound },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task JsonBody_EndsWithANewline(string method, string path, string? body, bool admin, HttpStatusCode expected)
    {
        if (path.Contains("/stats", StringComparison.Ordinal) && path.Contains("cam_newline", StringComparison.Ordinal))
        {
            // The campaign must exist for its stats to be 200.
            using var enrolled = await Server.Admin.PostAsync("/api/enrollments", RunningServer.Json("""{"campaignId":"cam_newline","email":"nl@example.com"}"""), TestContext.Token);
            enrolled.EnsureSuccessStatusCode();
        }

        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = body is null ? null : RunningServer.Json(body) };
        using var response = await (admin ? Server.Admin : Server.Client).SendAsync(request, TestContext.Token);
        var text = await response.Content.ReadAsStringAsync(TestContext.Token);

        if (expected == HttpStatusCode.Created)
        {
            Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, $"{method} {path} answered {(int)response.StatusCode}, want 201 or 200: {text}");
        }
        else
        {
            Assert.True(response.StatusCode == expected, $"{method} {path} answered {(int)response.StatusCode}, want {(int)expected}: {text}");
        }

        Assert.Contains("json", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        Assert.True(text.EndsWith('\n'), $"{method} {path}: the body does not end with a newline; it ends with '{text[Math.Max(0, text.Length - 20)..]}'");
        Assert.False(text.EndsWith("\n\n", StringComparison.Ordinal), $"{method} {path}: the body ends with two newlines");
    }
}
