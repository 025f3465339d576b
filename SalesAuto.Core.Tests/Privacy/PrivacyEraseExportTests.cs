using System.Net;
using System.Text.Json;
using SalesAuto.Core.DeadLetters;
using SalesAuto.Core.Events;
using SalesAuto.Core.Privacy;
using SalesAuto.Core.Tests.Infrastructure;
using static SalesAuto.Core.Tests.Privacy.PrivacyTestSupport;

namespace SalesAuto.Core.Tests.Privacy;

/// <summary>Export and erase through real HTTP on SalesAuto.Server, real Postgres and Redis.</summary>
public sealed class PrivacyEraseExportTests(PrivacyServerFixture fixture) : IClassFixture<PrivacyServerFixture>
{
    private RunningServer Server => fixture.Server;

    [Fact]
    public async Task Export_ReturnsEveryRowOfThePerson_AndNoneOfAnyoneElse()
    {
        var (ann, bob) = (Person.New(), Person.New());
        var seeded = await SeedAsync(ann, bob);

        var (status, export, text) = await PostAdminAsync(Server, "/api/privacy/export", $$"""{"email":"{{ann.Email}}"}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(ann.Email, export.GetProperty("subject").GetProperty("email").GetString());
        Assert.Equal([ann.Email], Strings(export.GetProperty("identifiers").GetProperty("emails")));
        Assert.Equal([ann.CrmContactId], Strings(export.GetProperty("identifiers").GetProperty("crmContactIds")));
        var enrollments = export.GetProperty("enrollments").EnumerateArray().ToList();
        Assert.Equal(seeded.Campaigns.Order(), enrollments.Select(e => e.GetProperty("campaignId").GetString()!).Order());
        Assert.All(enrollments, e => Assert.Equal("Campaign of " + e.GetProperty("campaignId").GetString(), e.GetProperty("campaignName").GetString()));
        var events = export.GetProperty("events").EnumerateArray().ToList();
        Assert.Equal(seeded.AnnLemlistIds.Order(), events.Where(e => e.GetProperty("source").GetString() == "lemlist").Select(e => e.GetProperty("eventId").GetString()!).Order());
        Assert.Equal(seeded.AnnHubSpotEvents, events.Count(e => e.GetProperty("source").GetString() == "hubspot"));
        Assert.All(events, e => Assert.Equal(JsonValueKind.Object, e.GetProperty("payload").ValueKind));
        Assert.Contains(events, e => e.GetProperty("payload").GetProperty("leadEmail").GetString() == ann.Email);
        var deadLetter = Assert.Single(export.GetProperty("deadLetters").EnumerateArray());
        Assert.Equal(seeded.AnnDeadLetterEventId, deadLetter.GetProperty("eventId").GetString());
        Assert.Equal(ann.Email, deadLetter.GetProperty("payload").GetProperty("leadEmail").GetString());
        Assert.Equal(JsonValueKind.Array, deadLetter.GetProperty("history").ValueKind);
        var orphan = Assert.Single(export.GetProperty("orphans").EnumerateArray());
        Assert.Equal(seeded.AnnOrphanEventId, orphan.GetProperty("eventId").GetString());
        var counts = export.GetProperty("counts");
        Assert.Equal(enrollments.Count, counts.GetProperty("enrollments").GetInt64());
        Assert.Equal(events.Count, counts.GetProperty("events").GetInt64());
        // Nothing of Bob's: not his email, not his CRM id, not one of his event ids.
        Assert.DoesNotContain(bob.Email, text, StringComparison.Ordinal);
        Assert.DoesNotContain(bob.CrmContactId, text, StringComparison.Ordinal);
        Assert.All(seeded.BobLemlistIds, id => Assert.DoesNotContain(id, text, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Export_ByCrmContactId_FindsTheSamePerson_AndIsAudited()
    {
        var (ann, bob) = (Person.New(), Person.New());
        var seeded = await SeedAsync(ann, bob);

        var (status, export, _) = await PostAdminAsync(Server, "/api/privacy/export", $$"""{"crmContactId":"{{ann.CrmContactId}}"}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal([ann.Email], Strings(export.GetProperty("identifiers").GetProperty("emails")));
        Assert.Equal(seeded.AnnLemlistIds.Count + seeded.AnnHubSpotEvents, export.GetProperty("events").GetArrayLength());
        var (_, second, _) = await PostAdminAsync(Server, "/api/privacy/export", $$"""{"email":"{{ann.Email}}"}""");
        // The first export is an audit entry about Ann, so the second shows it.
        Assert.Contains(second.GetProperty("audit").EnumerateArray(), a => a.GetProperty("action").GetString() == "export" && a.GetProperty("actor").GetString() == "tests");
    }

    [Fact]
    public async Task Erase_LeavesNoTrace_InAnyTableRedisKeyOrLogLine_AndStatsStayExact()
    {
        var (ann, bob) = (Person.New(), Person.New());
        var seeded = await SeedAsync(ann, bob);
        var statsBefore = new Dictionary<string, string>();
        foreach (var campaign in seeded.Campaigns)
        {
            statsBefore[campaign] = (await GetStatsAsync(Server, campaign)).GetRawText();
        }

        Assert.NotEmpty(await FindInPostgresAsync(fixture.Schema, ann.Email));
        Assert.NotEmpty(await FindInRedisAsync(Server, fixture.KeyPrefix, ann.Email));

        var (status, erased, _) = await PostAdminAsync(Server, "/api/privacy/erase", $$"""{"email":"{{ann.Email}}"}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.False(erased.GetProperty("dryRun").GetBoolean());
        Assert.True(erased.GetProperty("found").GetBoolean());
        Assert.Equal(seeded.Campaigns.Count, erased.GetProperty("postgres").GetProperty("enrollments").GetInt64());
        Assert.Equal(seeded.AnnLemlistIds.Count + seeded.AnnHubSpotEvents, erased.GetProperty("postgres").GetProperty("events").GetInt64());
        Assert.Equal(1, erased.GetProperty("postgres").GetProperty("deadLetters").GetInt64());
        Assert.Equal(1, erased.GetProperty("redis").GetProperty("orphans").GetInt64());
        foreach (var needle in new[] { ann.Email, ann.CrmContactId })
        {
            Assert.Empty(await FindInPostgresAsync(fixture.Schema, needle));
            Assert.Empty(await FindInRedisAsync(Server, fixture.KeyPrefix, needle));
            Assert.Empty(FindInLogs(fixture.Logs, needle));
        }

        foreach (var campaign in seeded.Campaigns)
        {
            Assert.Equal(statsBefore[campaign], (await GetStatsAsync(Server, campaign)).GetRawText());
        }

        // Bob is untouched.
        Assert.NotEmpty(await FindInPostgresAsync(fixture.Schema, bob.Email));
        Assert.NotEmpty(await FindInRedisAsync(Server, fixture.KeyPrefix, bob.Email));

        var (_, again, _) = await PostAdminAsync(Server, "/api/privacy/erase", $$"""{"crmContactId":"{{ann.CrmContactId}}"}""");
        Assert.False(again.GetProperty("found").GetBoolean());
        Assert.Equal("""{"enrollments":0,"events":0,"deadLetters":0}""", again.GetProperty("postgres").GetRawText());
        Assert.Equal(0, again.GetProperty("redis").GetProperty("orphans").GetInt64());
        var (_, export, _) = await PostAdminAsync(Server, "/api/privacy/export", $$"""{"email":"{{ann.Email}}"}""");
        Assert.Equal(0, export.GetProperty("events").GetArrayLength());
        Assert.Equal(0, export.GetProperty("enrollments").GetArrayLength());
    }

    [Fact]
    public async Task Erase_DryRun_CountsWithoutChangingAnything()
    {
        var (ann, bob) = (Person.New(), Person.New());
        var seeded = await SeedAsync(ann, bob);

        var (status, dry, _) = await PostAdminAsync(Server, "/api/privacy/erase", $$"""{"crmContactId":"{{ann.CrmContactId}}","dryRun":true}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(dry.GetProperty("dryRun").GetBoolean());
        Assert.True(dry.GetProperty("found").GetBoolean());
        Assert.Equal(seeded.AnnLemlistIds.Count + seeded.AnnHubSpotEvents, dry.GetProperty("postgres").GetProperty("events").GetInt64());
        Assert.Equal(1, dry.GetProperty("redis").GetProperty("orphans").GetInt64());
        Assert.NotEmpty(await FindInPostgresAsync(fixture.Schema, ann.Email));
        Assert.NotEmpty(await FindInRedisAsync(Server, fixture.KeyPrefix, ann.Email));
        // Not suppressed either: a new event about Ann is stored.
        var delivered = await PostLemlistAsync(Server, seeded.Campaigns[0], ann.Email);
        Assert.Equal(1, delivered.GetProperty("applied").GetInt32());
    }

    // The crash is simulated by running the erase's steps separately (PrivacyEraser's order:
    // resolve, suppress, Redis, then Postgres with its audit row in one transaction) and stopping
    // before the last: that is the state a process killed between the stores leaves behind.
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Erase_Repeated_FinishesTheJob_AfterACrashBetweenStores(int stepsDone)
    {
        var (ann, bob) = (Person.New(), Person.New());
        var seeded = await SeedAsync(ann, bob);
        var eraser = Server.Services.GetRequiredService<PrivacyEraser>();
        var store = Server.Services.GetRequiredService<PostgresPrivacyStore>();
        var person = await store.ResolveAsync(PersonIdentifier.Email(ann.Email), TestContext.Token);
        await eraser.SuppressAsync(person, TestContext.Token);
        if (stepsDone == 2)
        {
            Assert.Equal(1, await eraser.EraseRedisAsync(person, TestContext.Token));
            Assert.Empty(await FindInRedisAsync(Server, fixture.KeyPrefix, ann.Email));
        }

        Assert.NotEmpty(await FindInPostgresAsync(fixture.Schema, ann.Email));
        // Meanwhile, suppression already holds: the half-erased person is not stored again.
        Assert.Equal(1, (await PostHubSpotAsync(Server, ann.CrmContactId)).GetProperty("suppressed").GetInt32());

        var (status, repeat, _) = await PostAdminAsync(Server, "/api/privacy/erase", $$"""{"email":"{{ann.Email}}"}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(repeat.GetProperty("found").GetBoolean());
        Assert.Equal(stepsDone == 2 ? 0 : 1, repeat.GetProperty("redis").GetProperty("orphans").GetInt64());
        Assert.Equal(seeded.Campaigns.Count, repeat.GetProperty("postgres").GetProperty("enrollments").GetInt64());
        foreach (var needle in new[] { ann.Email, ann.CrmContactId })
        {
            Assert.Empty(await FindInPostgresAsync(fixture.Schema, needle));
            Assert.Empty(await FindInRedisAsync(Server, fixture.KeyPrefix, needle));
            Assert.Empty(FindInLogs(fixture.Logs, needle));
        }
    }

    [Fact]
    public async Task Erase_UnknownPerson_Is200WithZeroCounts_AndSuppressesThemFromNowOn()
    {
        var stranger = Person.New();
        var campaign = $"cam_{Guid.NewGuid():N}";

        var (status, erased, _) = await PostAdminAsync(Server, "/api/privacy/erase", $$"""{"email":"{{stranger.Email}}"}""");
        var (exportStatus, export, _) = await PostAdminAsync(Server, "/api/privacy/export", $$"""{"email":"{{Person.New().Email}}"}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.False(erased.GetProperty("found").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, exportStatus);
        Assert.Equal(0, export.GetProperty("counts").GetProperty("events").GetInt64());
        var late = await PostLemlistAsync(Server, campaign, stranger.Email);
        Assert.Equal(1, late.GetProperty("suppressed").GetInt32());
        Assert.Equal(0, late.GetProperty("orphaned").GetInt32());
    }

    [Theory]
    [InlineData("{}", "'email' or 'crmContactId' is required")]
    [InlineData("""{"email":"a@example.com","crmContactId":"1"}""", "either 'email' or 'crmContactId'")]
    [InlineData("""{"email":"not-an-email"}""", "'email' is not a valid email address")]
    [InlineData("""{"email":"Ann <a@example.com>"}""", "'email' is not a valid email address")]
    [InlineData("""{"email":42}""", "'email' must be a string; it is a number")]
    [InlineData("""{"crmContactId":["1"]}""", "'crmContactId' must be a string; it is an array")]
    [InlineData("""{"crmContactId":""}""", "'crmContactId' must be 1 to 200 characters")]
    [InlineData("""{"email":"a\u0000@example.com"}""", "'email' contains a NUL character")]
    [InlineData("""{"crmContactId":"\ud800"}""", "'crmContactId' contains a NUL character or invalid Unicode")]
    [InlineData("""{"email":"a@example.com","mail":"x"}""", "Unknown member 'mail'")]
    [InlineData("""{"email":"a@example.com","email":"b@example.com"}""", "'email' is given more than once")]
    [InlineData("""{"email":"a@example.com","dryRun":"yes"}""", "'dryRun' must be true or false")]
    [InlineData("[]", "must be a JSON object")]
    public async Task Erase_Is400NamingTheMember_WhenTheBodyIsWrong(string body, string expected)
    {
        var (status, problem, text) = await PostAdminAsync(Server, "/api/privacy/erase", body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(expected, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("a@example.com", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.NotEmpty(text);
    }

    [Theory]
    [InlineData("""{"email":"a@example.com","dryRun":true}""", "Unknown member 'dryRun'")]
    [InlineData("""{"crmContactId":"x","email":null,"extra":1}""", "Unknown member 'extra'")]
    [InlineData("{\"email\":\"", "not valid JSON")]
    public async Task Export_Is400NamingTheMember_WhenTheBodyIsWrong(string body, string expected)
    {
        var (status, problem, _) = await PostAdminAsync(Server, "/api/privacy/export", body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(expected, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_And_Erase_Are400_ForOverLongValues_And401_WithoutAKey()
    {
        var longEmail = new string('a', 320) + "@example.com";
        var (emailStatus, emailProblem, _) = await PostAdminAsync(Server, "/api/privacy/export", $$"""{"email":"{{longEmail}}"}""");
        var (crmStatus, crmProblem, _) = await PostAdminAsync(Server, "/api/privacy/erase", $$"""{"crmContactId":"{{new string('9', 201)}}"}""");
        using var anonymous = await Server.Client.PostAsync("/api/privacy/erase", RunningServer.Json("""{"email":"a@example.com"}"""), TestContext.Token);

        Assert.Equal(HttpStatusCode.BadRequest, emailStatus);
        Assert.Contains("'email' must be 1 to 320 characters", emailProblem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, crmStatus);
        Assert.Contains("'crmContactId' must be 1 to 200 characters", crmProblem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    /// <summary>
    /// Ann and Bob, both enrolled (with CRM ids) in the same two campaigns; each gets Lemlist and
    /// HubSpot events, one dead letter (in a campaign neither is enrolled in) and one parked orphan.
    /// </summary>
    private async Task<Seeded> SeedAsync(Person ann, Person bob)
    {
        List<string> campaigns = [$"cam_{Guid.NewGuid():N}", $"cam_{Guid.NewGuid():N}"];
        var ids = new Dictionary<Person, List<string>> { [ann] = [], [bob] = [] };
        foreach (var person in new[] { ann, bob })
        {
            foreach (var campaign in campaigns)
            {
                await EnrollAsync(Server, campaign, person, "Campaign of " + campaign);
                foreach (var type in new[] { "emailsSent", "emailsOpened" })
                {
                    var id = $"act_{Guid.NewGuid():N}";
                    ids[person].Add(id);
                    Assert.Equal(1, (await PostLemlistAsync(Server, campaign, person.Email, type, id)).GetProperty("applied").GetInt32());
                }
            }

            Assert.Equal(2, (await PostHubSpotAsync(Server, person.CrmContactId, 2)).GetProperty("applied").GetInt32());
        }

        var deadLetterIds = new Dictionary<Person, string>();
        var orphanIds = new Dictionary<Person, string>();
        var store = Server.Services.GetRequiredService<IDeadLetterStore>();
        foreach (var person in new[] { ann, bob })
        {
            var eventId = $"act_{Guid.NewGuid():N}";
            var payload = $$"""{"_id":"{{eventId}}","type":"emailsOpened","campaignId":"cam_gone","leadEmail":"{{person.Email}}"}""";
            await store.AddAsync([new NewDeadLetter(new CanonicalEvent("lemlist", eventId, "email.opened", DateTimeOffset.UtcNow, "cam_gone", person.Email, null, payload), 6, DateTimeOffset.UtcNow, "enrollment not found after 6 attempts")], TestContext.Token);
            deadLetterIds[person] = eventId;
            orphanIds[person] = $"act_{Guid.NewGuid():N}";
            Assert.Equal(1, (await PostLemlistAsync(Server, $"cam_{Guid.NewGuid():N}", person.Email, "emailsClicked", orphanIds[person])).GetProperty("orphaned").GetInt32());
        }

        return new Seeded(campaigns, ids[ann], ids[bob], 2, deadLetterIds[ann], orphanIds[ann]);
    }

    private static List<string> Strings(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetString()!)];

    private sealed record Seeded(List<string> Campaigns, List<string> AnnLemlistIds, List<string> BobLemlistIds, int AnnHubSpotEvents, string AnnDeadLetterEventId, string AnnOrphanEventId);
}
