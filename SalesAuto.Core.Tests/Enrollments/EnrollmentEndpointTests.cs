using System.Net;
using System.Text;
using System.Text.Json;
using SalesAuto.Core.Tests.Infrastructure;

namespace SalesAuto.Core.Tests.Enrollments;

public sealed class EnrollmentEndpointTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private RunningServer Server => fixture.Server;

    [Fact]
    public async Task Upsert_Creates201ThenUpdates200_WhenSentTwice()
    {
        var campaign = $"cam_{Guid.NewGuid():N}";
        var body = $$"""{"campaignId":"{{campaign}}","email":"Ann.Lee@Example.com","campaignName":"Q4 outbound"}""";

        using var first = await Server.Admin.PostAsync("/api/enrollments", RunningServer.Json(body), TestContext.Token);
        using var second = await Server.Admin.PostAsync("/api/enrollments", RunningServer.Json(body.Replace("}", ""","crmContactId":"901"}""", StringComparison.Ordinal)), TestContext.Token);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var created = await ReadJsonAsync(first);
        var updated = await ReadJsonAsync(second);
        Assert.Equal("ann.lee@example.com", created.GetProperty("email").GetString());
        Assert.True(created.GetProperty("created").GetBoolean());
        Assert.False(updated.GetProperty("created").GetBoolean());
        Assert.Equal(created.GetProperty("id").GetInt64(), updated.GetProperty("id").GetInt64());
        Assert.Equal("901", updated.GetProperty("crmContactId").GetString());
    }

    [Fact]
    public async Task CampaignStats_CountsEnrollmentsExactly_AndIs404ForUnknownCampaign()
    {
        var campaign = $"cam_{Guid.NewGuid():N}";
        foreach (var email in new[] { "a@example.com", "b@example.com", "A@example.com" })
        {
            using var response = await Server.Admin.PostAsync("/api/enrollments", RunningServer.Json($$"""{"campaignId":"{{campaign}}","email":"{{email}}"}"""), TestContext.Token);
            response.EnsureSuccessStatusCode();
        }

        using var stats = await Server.Admin.GetAsync($"/api/campaigns/{campaign}/stats", TestContext.Token);
        using var unknown = await Server.Admin.GetAsync($"/api/campaigns/nope_{Guid.NewGuid():N}/stats", TestContext.Token);

        Assert.Equal(HttpStatusCode.OK, stats.StatusCode);
        var json = await ReadJsonAsync(stats);
        Assert.Equal(campaign, json.GetProperty("campaignId").GetString());
        Assert.Equal(2, json.GetProperty("enrollments").GetInt64());
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("""{"email":"a@example.com"}""", "campaignId")]
    [InlineData("""{"campaignId":"c1"}""", "email")]
    [InlineData("""{"campaignId":"c1","email":"not an email"}""", "email")]
    [InlineData("""{"campaignId":42,"email":"a@example.com"}""", "campaignId")]
    [InlineData("""{"campaignId":"","email":"a@example.com"}""", "campaignId")]
    [InlineData("""{"campaignId":"c1","email":"a@example.com","crmContactId":{}}""", "crmContactId")]
    [InlineData("""[1,2]""", "object")]
    [InlineData("""{"campaignId":""", "JSON")]
    [InlineData("""null""", "object")]
    public async Task Upsert_Is400NamingTheProblem_WhenBodyIsInvalid(string body, string named)
    {
        using var response = await Server.Admin.PostAsync("/api/enrollments", RunningServer.Json(body), TestContext.Token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await ReadJsonAsync(response);
        Assert.Contains(named, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("correlationId").GetString()));
    }

    [Fact]
    public async Task Upsert_Is415_WhenBodyIsNotJson()
    {
        using var response = await Server.Admin.PostAsync("/api/enrollments", new StringContent("campaignId=c1", Encoding.UTF8, "application/x-www-form-urlencoded"), TestContext.Token);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Fact]
    public async Task Upsert_Is413_WhenBodyIsOverTheLimit()
    {
        var huge = $$"""{"campaignId":"c1","email":"a@example.com","pad":"{{new string('x', 70_000)}}"}""";

        using var response = await Server.Admin.PostAsync("/api/enrollments", RunningServer.Json(huge), TestContext.Token);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task AdminRoutes_Are401_WithoutOrWithAWrongKey_AndAcceptTheCodeQuery()
    {
        using var none = await Server.Client.GetAsync("/api/campaigns/c1/stats", TestContext.Token);
        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/api/campaigns/c1/stats");
        wrong.Headers.Add("x-functions-key", "not-the-key-000000000");
        using var wrongResponse = await Server.Client.SendAsync(wrong, TestContext.Token);
        using var byQuery = await Server.Client.GetAsync($"/api/campaigns/c1/stats?code={RunningServer.AdminKey}", TestContext.Token);

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal("application/problem+json", none.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongResponse.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, byQuery.StatusCode);
    }

    [Fact]
    public async Task CampaignStats_Is400_WhenCampaignIdIsTooLong()
    {
        using var response = await Server.Admin.GetAsync($"/api/campaigns/{new string('c', 300)}/stats", TestContext.Token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Token)).RootElement.Clone();
}
