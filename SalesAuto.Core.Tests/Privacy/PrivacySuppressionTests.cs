using System.Net;
using System.Text.Json;
using Dapper;
using SalesAuto.Core.DeadLetters;
using SalesAuto.Core.Events;
using SalesAuto.Core.Privacy;
using SalesAuto.Core.RetryQueue;
using SalesAuto.Core.Tests.Infrastructure;
using static SalesAuto.Core.Tests.Privacy.PrivacyTestSupport;

namespace SalesAuto.Core.Tests.Privacy;

/// <summary>After an erase, nothing about the person is stored again: webhooks of every source, the retry cycle, replays; and HubSpot's privacy deletion erases.</summary>
public sealed class PrivacySuppressionTests(PrivacyServerFixture fixture) : IClassFixture<PrivacyServerFixture>
{
    private RunningServer Server => fixture.Server;

    [Fact]
    public async Task LateDeliveries_AreSuppressed_FromEverySource_CountedAuditedAndNeitherStoredParkedNorLogged()
    {
        var ann = Person.New();
        var campaign = $"cam_{Guid.NewGuid():N}";
        await EnrollAsync(Server, campaign, ann);
        await PostLemlistAsync(Server, campaign, ann.Email);
        await PostHubSpotAsync(Server, ann.CrmContactId);
        var statsBefore = (await GetStatsAsync(Server, campaign)).GetRawText();
        var metricsBefore = await MetricsAsync(Server);
        var (status, _, _) = await PostAdminAsync(Server, "/api/privacy/erase", $$"""{"email":"{{ann.Email}}"}""");
        Assert.Equal(HttpStatusCode.OK, status);

        // Same campaign, another campaign (would be an orphan), Standard Webhooks, and HubSpot by the
        // CRM id that was linked to the email through the enrollment.
        var sameCampaign = await PostLemlistAsync(Server, campaign, ann.Email, "emailsReplied");
        var otherCampaign = await PostLemlistAsync(Server, $"cam_{Guid.NewGuid():N}", ann.Email.ToUpperInvariant());
        var standard = await PostStandardAsync(Server, $"cam_{Guid.NewGuid():N}", ann.Email, 2);
        var hubspot = await PostHubSpotAsync(Server, ann.CrmContactId);

        Assert.Equal("""{"received":1,"applied":0,"duplicates":0,"orphaned":0,"suppressed":1}""", sameCampaign.GetRawText());
        Assert.Equal("""{"received":1,"applied":0,"duplicates":0,"orphaned":0,"suppressed":1}""", otherCampaign.GetRawText());
        Assert.Equal("""{"received":2,"applied":0,"duplicates":0,"orphaned":0,"suppressed":2}""", standard.GetRawText());
        Assert.Equal("""{"received":1,"applied":0,"duplicates":0,"orphaned":0,"suppressed":1}""", hubspot.GetRawText());
        Assert.Equal(statsBefore, (await GetStatsAsync(Server, campaign)).GetRawText());
        foreach (var needle in new[] { ann.Email, ann.CrmContactId })
        {
            Assert.Empty(await FindInPostgresAsync(fixture.Schema, needle));
            Assert.Empty(await FindInRedisAsync(Server, fixture.KeyPrefix, needle));
            Assert.Empty(FindInLogs(fixture.Logs, needle));
        }

        var metrics = await MetricsAsync(Server);
        Assert.Equal(2, Counter(metrics, "lemlist") - Counter(metricsBefore, "lemlist"));
        Assert.Equal(2, Counter(metrics, "std") - Counter(metricsBefore, "std"));
        Assert.Equal(1, Counter(metrics, "hubspot") - Counter(metricsBefore, "hubspot"));

        var audit = await AuditAsync("action=suppressed&limit=200");
        var actors = audit.Where(a => a.GetProperty("detail").GetProperty("events").GetInt32() > 0).Select(a => a.GetProperty("actor").GetString()).ToHashSet();
        Assert.Superset(new HashSet<string?> { "webhook:lemlist", "webhook:std", "webhook:hubspot" }, actors);
        Assert.All(audit, a => Assert.Matches("^[0-9a-f]{64}$", a.GetProperty("subject").GetString()!));
    }

    [Fact]
    public async Task RetryCycle_DropsAParkedOrphan_OfAPersonSuppressedAfterItWasParked()
    {
        var bea = Person.New();
        var campaign = $"cam_{Guid.NewGuid():N}";
        Assert.Equal(1, (await PostLemlistAsync(Server, campaign, bea.Email)).GetProperty("orphaned").GetInt32());
        // An erase that stopped after suppressing (its Redis step not run yet): the cycle must not
        // apply or dead-letter the orphan in the meantime.
        var store = Server.Services.GetRequiredService<PostgresPrivacyStore>();
        await store.SuppressAsync(await store.ResolveAsync(PersonIdentifier.Email(bea.Email), TestContext.Token), TestContext.Token);
        await EnrollAsync(Server, campaign, Person.New() with { Email = $"other{Guid.NewGuid():N}@example.com" });
        var queue = Server.Services.GetRequiredService<IRetryQueue>();
        Assert.Equal(1, await queue.PromoteAsync([EnrollmentKeys.ByEmail(campaign, bea.Email)], TestContext.Token));

        var result = await Server.Services.GetRequiredService<RetryCycle>().RunAsync(TestContext.Token);

        Assert.Equal(CycleOutcome.Completed, result.Outcome);
        Assert.True(result.Claimed >= 1);
        Assert.Equal(0, result.DeadLettered);
        Assert.Empty(await FindInRedisAsync(Server, fixture.KeyPrefix, bea.Email));
        Assert.Empty(await FindInPostgresAsync(fixture.Schema, bea.Email));
        Assert.Contains("salesauto_orphans_processed_total{outcome=\"suppressed\"} 1", await MetricsAsync(Server), StringComparison.Ordinal);
        Assert.Contains(await AuditAsync("action=suppressed&actor=retry-cycle"), a => a.GetProperty("detail").GetProperty("events").GetInt32() == 1);
    }

    [Fact]
    public async Task Replay_OfADeadLetterOfASuppressedPerson_DoesNotApplyIt_AndErasesIt()
    {
        var cal = Person.New();
        var campaign = $"cam_{Guid.NewGuid():N}";
        await EnrollAsync(Server, campaign, cal);
        var statsBefore = (await GetStatsAsync(Server, campaign)).GetRawText();
        var eventId = $"act_{Guid.NewGuid():N}";
        var payload = $$"""{"_id":"{{eventId}}","type":"emailsOpened","campaignId":"{{campaign}}","leadEmail":"{{cal.Email}}"}""";
        await Server.Services.GetRequiredService<IDeadLetterStore>().AddAsync(
            [new NewDeadLetter(new CanonicalEvent("lemlist", eventId, "email.opened", DateTimeOffset.UtcNow, campaign, cal.Email, null, payload), 6, DateTimeOffset.UtcNow, "enrollment not found after 6 attempts")],
            TestContext.Token);
        await using var connection = await fixture.Schema.DataSource.OpenConnectionAsync(TestContext.Token);
        var id = await connection.ExecuteScalarAsync<Guid>("select id from dead_letters where event_id = @eventId", new { eventId });
        // Suppressed without the erase's Postgres step, so the dead letter still holds the email.
        var store = Server.Services.GetRequiredService<PostgresPrivacyStore>();
        await store.SuppressAsync(new PersonIdentifiers([cal.Email], []), TestContext.Token);

        var (status, replay, _) = await PostAdminAsync(Server, "/api/dlq/replay", $$"""{"ids":["{{id}}"]}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("suppressed", replay.GetProperty("results")[0].GetProperty("result").GetString());
        Assert.Equal(statsBefore, (await GetStatsAsync(Server, campaign)).GetRawText());
        var row = await connection.QuerySingleAsync<(string Status, string? Email, string Payload)>("select status, email, payload::text from dead_letters where id = @id", new { id });
        Assert.Equal(("ignored", (string?)null, "{}"), row);
        var (_, again, _) = await PostAdminAsync(Server, "/api/dlq/replay", $$"""{"ids":["{{id}}"],"includeIgnored":true}""");
        Assert.Equal("ignored_skipped", again.GetProperty("results")[0].GetProperty("result").GetString());
    }

    [Fact]
    public async Task HubSpotPrivacyDeletion_ErasesTheContactEverywhere_AuditedWithTheSourceAsActor()
    {
        var dan = Person.New();
        var bystander = Person.New();
        var campaign = $"cam_{Guid.NewGuid():N}";
        await EnrollAsync(Server, campaign, dan);
        await EnrollAsync(Server, campaign, bystander);
        await PostLemlistAsync(Server, campaign, dan.Email);
        await PostHubSpotAsync(Server, dan.CrmContactId, 2);
        Assert.Equal(1, (await PostLemlistAsync(Server, $"cam_{Guid.NewGuid():N}", dan.Email)).GetProperty("orphaned").GetInt32());
        var statsBefore = (await GetStatsAsync(Server, campaign)).GetRawText();

        var deletion = await PostHubSpotAsync(Server, dan.CrmContactId, subscriptionType: "contact.privacyDeletion");
        var plainDeletion = await PostHubSpotAsync(Server, bystander.CrmContactId, subscriptionType: "contact.deletion");

        Assert.Equal("""{"received":1,"applied":0,"duplicates":0,"orphaned":0,"suppressed":1}""", deletion.GetRawText());
        Assert.Equal(1, plainDeletion.GetProperty("applied").GetInt32());
        Assert.NotEmpty(await FindInPostgresAsync(fixture.Schema, bystander.Email));
        foreach (var needle in new[] { dan.Email, dan.CrmContactId })
        {
            Assert.Empty(await FindInPostgresAsync(fixture.Schema, needle));
            Assert.Empty(await FindInRedisAsync(Server, fixture.KeyPrefix, needle));
            Assert.Empty(FindInLogs(fixture.Logs, needle));
        }

        var stats = await GetStatsAsync(Server, campaign);
        Assert.Equal(JsonDocument.Parse(statsBefore).RootElement.GetProperty("events").GetProperty("email.opened").GetInt32(), stats.GetProperty("events").GetProperty("email.opened").GetInt32());
        Assert.Equal(1, stats.GetProperty("events").GetProperty("contact.deleted").GetInt32());
        var erase = Assert.Single(await AuditAsync("action=erase&actor=webhook:hubspot"), a => a.GetProperty("outcome").GetString() == "erased"
            && a.GetProperty("detail").GetProperty("postgres").GetProperty("events").GetInt32() == 3);
        Assert.Equal(1, erase.GetProperty("detail").GetProperty("redis").GetProperty("orphans").GetInt32());
    }

    private async Task<List<JsonElement>> AuditAsync(string query)
    {
        using var response = await Server.Admin.GetAsync($"/api/audit?{query}", TestContext.Token);
        var text = await response.Content.ReadAsStringAsync(TestContext.Token);
        Assert.True(response.IsSuccessStatusCode, text);
        return [.. JsonDocument.Parse(text).RootElement.GetProperty("items").EnumerateArray().Select(e => e.Clone())];
    }

    private static double Counter(string exposition, string source)
    {
        var match = System.Text.RegularExpressions.Regex.Match(exposition, $"^salesauto_webhook_events_total\\{{source=\"{source}\",outcome=\"suppressed\"\\}} (\\S+)$", System.Text.RegularExpressions.RegexOptions.Multiline);
        return match.Success ? double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }
}
