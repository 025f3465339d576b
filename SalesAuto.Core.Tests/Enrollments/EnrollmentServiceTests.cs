using System.Text.Json;
using Microsoft.AspNetCore.Http;
using SalesAuto.Core.Enrollments;
using SalesAuto.Core.Events;
using SalesAuto.Core.Tests.Infrastructure;
using SalesAuto.Core.Tests.Webhooks;
using SalesAuto.Core.Webhooks;

namespace SalesAuto.Core.Tests.Enrollments;

/// <summary>The enrollment use cases called with typed input, on real Postgres and Redis (no HTTP).</summary>
public sealed class EnrollmentServiceTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private EnrollmentService Service => fixture.Server.Services.GetRequiredService<EnrollmentService>();

    [Fact]
    public async Task UpsertAsync_CreatesThenUpdates_AndAppliesTheOrphanParkedBeforeIt()
    {
        var campaign = $"cam_{Guid.NewGuid():N}";
        var orphan = WebhookIntakeTests.Event(campaign, "ann@example.com");
        var parked = await fixture.Server.Services.GetRequiredService<WebhookIntake>().IngestAsync(IntakeRequest.FromWebhook("lemlist", [orphan], []), TestContext.Token);
        Assert.Equal([EventOutcome.Orphan], Assert.IsType<IntakeOutcome.Taken>(parked).Outcomes);

        var first = Assert.IsType<EnrollmentOutcome.Upserted>(await Service.UpsertAsync(new EnrollmentRequest(campaign, "ann@example.com", null, "Q4"), TestContext.Token));
        var second = Assert.IsType<EnrollmentOutcome.Upserted>(await Service.UpsertAsync(new EnrollmentRequest(campaign, "ann@example.com", "901", null), TestContext.Token));

        Assert.True(first.Enrollment.Created);
        Assert.Equal(1, first.Released);
        Assert.Equal(1, first.Applied);
        Assert.False(second.Enrollment.Created);
        Assert.Equal(first.Enrollment.Id, second.Enrollment.Id);
        Assert.Equal("901", second.Enrollment.CrmContactId);
        Assert.Equal(0, second.Released);
        var stats = Assert.IsType<CampaignStatsOutcome.Found>(await Service.GetCampaignStatsAsync(campaign, TestContext.Token));
        Assert.Equal(1L, stats.Stats.Enrollments);
        Assert.Equal(1L, stats.Stats.Events["email.opened"]);
    }

    [Fact]
    public async Task GetCampaignStatsAsync_ReturnsNotFound_WhenTheCampaignHasNoEnrollment()
    {
        var outcome = await Service.GetCampaignStatsAsync($"nope_{Guid.NewGuid():N}", TestContext.Token);

        Assert.IsType<CampaignStatsOutcome.NotFound>(outcome);
    }

    [Fact]
    public async Task ToResult_Is201ForANewEnrollment_And503WithRetryAfterWhenPostgresIsDown()
    {
        var created = new EnrollmentOutcome.Upserted(new Enrollment(7, "cam_1", "ann@example.com", null, Created: true), Released: null, Applied: null);

        var (createdStatus, _, createdBody) = await WebhookIntakeTests.ExecuteAsync(EnrollmentEndpoints.ToResult(created));
        var (downStatus, retryAfter, downBody) = await WebhookIntakeTests.ExecuteAsync(EnrollmentEndpoints.ToResult(new EnrollmentOutcome.PostgresUnavailable(TimeSpan.FromSeconds(5))));

        Assert.Equal(StatusCodes.Status201Created, createdStatus);
        Assert.Equal("""{"id":7,"campaignId":"cam_1","email":"ann@example.com","crmContactId":null,"created":true,"released":null,"applied":null}""", createdBody);
        Assert.Equal(StatusCodes.Status503ServiceUnavailable, downStatus);
        Assert.Equal("5", retryAfter);
        using var problem = JsonDocument.Parse(downBody);
        Assert.Equal("Postgres is unavailable; the enrollment was not stored. Retry later.", problem.RootElement.GetProperty("detail").GetString());
    }

    [Fact]
    public void Bind_NormalisesTheEmailAndIgnoresUnknownMembers_AsTheRouteAlwaysHas()
    {
        using var body = JsonDocument.Parse("""{"campaignId":" cam_1 ","email":"Ann.Lee@Example.COM","extra":true}""");

        var request = EnrollmentRequest.Bind(body.RootElement, out var problem);

        Assert.Null(problem);
        Assert.Equal(new EnrollmentRequest("cam_1", "ann.lee@example.com", null, null), request);
    }

    [Fact]
    public void Bind_Refuses400NamingTheField_WhenTheCampaignIdHoldsALoneSurrogate()
    {
        using var body = JsonDocument.Parse("""{"campaignId":"c\ud800x","email":"a@example.com"}""");

        var request = EnrollmentRequest.Bind(body.RootElement, out var problem);

        Assert.Null(request);
        Assert.NotNull(problem);
        Assert.Equal(StatusCodes.Status400BadRequest, problem.StatusCode);
        Assert.Contains("'campaignId'", problem.Detail, StringComparison.Ordinal);
    }
}
