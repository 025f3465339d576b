using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SalesAuto.Core.Events;
using SalesAuto.Core.Webhooks;
using SalesAuto.Core.Webhooks.Sources.HubSpot;
using SalesAuto.Core.Webhooks.Sources.Lemlist;
using static SalesAuto.Core.Tests.Webhooks.WebhookTestSupport;

namespace SalesAuto.Core.Tests.Webhooks;

public sealed class WebhookParserTests
{
    private const string Canonical = """{"id":"evt_1","type":"email.opened","occurredAt":"2026-11-23T10:00:00Z","campaignId":"cam_1","email":"ann@example.com"}""";

    [Fact]
    public void Parse_MapsEveryEvent_OfTheHubSpotSample()
    {
        var body = Sample("hubspot-batch.json");

        var result = Parse(WebhookSourceKind.HubSpot, body);

        Assert.True(result.Succeeded, result.Error);
        Assert.Collection(
            result.Events,
            e => AssertEvent(e, "62515:2301445:1714090001:1763892000123", "contact.updated", 1763892000123, crmContactId: "901"),
            e => AssertEvent(e, "62515:2301446:1714090002:1763892000456", "contact.created", 1763892000456, crmContactId: "902"),
            e => AssertEvent(e, "62515:2301447:1714090003:1763892000789", "contact.deleted", 1763892000789, crmContactId: "903"));
        AssertPayloadsAreTheElements(body, result.Events);
    }

    [Fact]
    public void Parse_MapsTheLemlistSample()
    {
        var body = Sample("lemlist-activity.json");

        var result = Parse(WebhookSourceKind.Lemlist, body);

        Assert.True(result.Succeeded, result.Error);
        var e = Assert.Single(result.Events);
        Assert.Equal("src", e.Source);
        Assert.Equal("act_6fJq2nW8sYtR4kP1", e.EventId);
        Assert.Equal("email.opened", e.Type);
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 10, 15, 2, 511, TimeSpan.Zero), e.OccurredAt);
        Assert.Equal("cam_8RtLm2VbXq", e.CampaignId);
        Assert.Equal("ann.lee@example.com", e.Email);
        Assert.Null(e.CrmContactId);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(body), JsonNode.Parse(e.Payload)));
    }

    [Fact]
    public void Parse_MapsTheCanonicalSample()
    {
        var body = Sample("canonical-events.json");

        var result = Parse(WebhookSourceKind.StandardWebhooks, body);

        Assert.True(result.Succeeded, result.Error);
        Assert.Collection(
            result.Events,
            e =>
            {
                Assert.Equal(("evt_0001", "email.sent", "cam_8RtLm2VbXq", "ann.lee@example.com"), (e.EventId, e.Type, e.CampaignId, e.Email));
                Assert.Equal(new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero), e.OccurredAt);
            },
            e =>
            {
                Assert.Equal(("evt_0002", "email.replied", "cam_8RtLm2VbXq", "ann.lee@example.com"), (e.EventId, e.Type, e.CampaignId, e.Email));
                Assert.Equal(new DateTimeOffset(2026, 11, 23, 11, 30, 0, TimeSpan.Zero), e.OccurredAt);
            });
        AssertPayloadsAreTheElements(body, result.Events);
    }

    // Written out here, not read from EventTypes, so that a changed mapping fails a test.
    [Theory]
    [InlineData("contact.creation", "contact.created")]
    [InlineData("contact.propertyChange", "contact.updated")]
    [InlineData("contact.deletion", "contact.deleted")]
    [InlineData("contact.privacyDeletion", "contact.deleted")]
    [InlineData("deal.creation", "deal.creation")]
    [InlineData("contact.merge", "contact.merge")]
    [InlineData("Contact.Creation", "Contact.Creation")]
    public void Parse_MapsHubSpotSubscriptionTypes(string subscriptionType, string expected)
    {
        var body = $$"""[{"eventId":7,"subscriptionId":8,"portalId":9,"occurredAt":1763892000000,"subscriptionType":"{{subscriptionType}}","objectId":55}]""";

        var result = Parse(WebhookSourceKind.HubSpot, body);

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(expected, Assert.Single(result.Events).Type);
    }

    [Theory]
    [InlineData("emailsSent", "email.sent")]
    [InlineData("emailsOpened", "email.opened")]
    [InlineData("emailsClicked", "email.clicked")]
    [InlineData("emailsReplied", "email.replied")]
    [InlineData("emailsBounced", "email.bounced")]
    [InlineData("emailsUnsubscribed", "email.unsubscribed")]
    [InlineData("emailsFailed", "email.failed")]
    [InlineData("emailsInterested", "lead.interested")]
    [InlineData("emailsNotInterested", "lead.not_interested")]
    [InlineData("linkedinInviteDone", "linkedinInviteDone")]
    [InlineData("aircallDone", "aircallDone")]
    [InlineData("EmailsSent", "EmailsSent")]
    public void Parse_MapsLemlistTypes(string type, string expected)
    {
        var body = $$"""{"_id":"act_1","type":"{{type}}","createdAt":"2026-11-23T10:15:02.511Z","campaignId":"cam_1","leadEmail":"ann@example.com"}""";

        var result = Parse(WebhookSourceKind.Lemlist, body);

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(expected, Assert.Single(result.Events).Type);
    }

    [Fact]
    public void MappingTables_HoldExactlyTheTestedTypes()
    {
        // A mapping added to a source's TypeMap needs its row in the two theories above.
        Assert.Equal(4, HubSpotSource.Instance.TypeMap.Count);
        Assert.Equal(9, LemlistSource.Instance.TypeMap.Count);
        Assert.Equal(12, EventTypes.All.Count);
        Assert.Subset(EventTypes.All.ToHashSet(), HubSpotSource.Instance.TypeMap.Values.Concat(LemlistSource.Instance.TypeMap.Values).ToHashSet());
    }

    [Fact]
    public void Parse_KeepsAnUnknownHubSpotType_WhenItHasNoObjectId()
    {
        var body = """[{"eventId":7,"subscriptionId":8,"portalId":9,"occurredAt":1763892000000,"subscriptionType":"contact.associationChange","fromObjectId":1,"toObjectId":2}]""";

        var result = Parse(WebhookSourceKind.HubSpot, body);

        Assert.True(result.Succeeded, result.Error);
        var e = Assert.Single(result.Events);
        Assert.Equal("contact.associationChange", e.Type);
        Assert.Null(e.CrmContactId);
    }

    [Fact]
    public void Parse_KeepsAnUnknownLemlistType_WhenItHasNoEmail()
    {
        var result = Parse(WebhookSourceKind.Lemlist, """{"_id":"act_9","type":"linkedinVisitDone","createdAt":"2026-11-23T10:15:02Z","campaignId":"cam_1"}""");

        Assert.True(result.Succeeded, result.Error);
        Assert.Null(Assert.Single(result.Events).Email);
    }

    [Fact]
    public void Parse_KeepsAnUnknownCanonicalType()
    {
        var result = Parse(WebhookSourceKind.StandardWebhooks, Canonical.Replace("email.opened", "meeting.booked", StringComparison.Ordinal));

        Assert.Equal("meeting.booked", Assert.Single(result.Events).Type);
    }

    [Fact]
    public void Parse_AcceptsAnArrayOfLemlistActivities()
    {
        var one = """{"_id":"act_{0}","type":"emailsSent","createdAt":"2026-11-23T10:15:02Z","campaignId":"cam_1","leadEmail":"a@b.c"}""";
        var body = "[" + string.Join(",", Enumerable.Range(0, 3).Select(i => one.Replace("{0}", i.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal))) + "]";

        var result = Parse(WebhookSourceKind.Lemlist, body);

        Assert.Equal(["act_0", "act_1", "act_2"], result.Events.Select(e => e.EventId));
    }

    [Fact]
    public void Parse_AcceptsACanonicalEventByCrmContactId()
    {
        var result = Parse(WebhookSourceKind.StandardWebhooks, """{"id":"evt_2","type":"contact.updated","occurredAt":"2026-11-23T10:00:00+02:00","crmContactId":"901","data":{"x":[1,2,{"y":null}]}}""");

        var e = Assert.Single(result.Events);
        Assert.Equal("901", e.CrmContactId);
        Assert.Null(e.CampaignId);
        Assert.Null(e.Email);
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 8, 0, 0, TimeSpan.Zero), e.OccurredAt);
        Assert.Equal(TimeSpan.Zero, e.OccurredAt.Offset);
    }

    [Theory]
    [InlineData("  Ann.Lee@Example.COM ", "ann.lee@example.com")]
    [InlineData("ÄNNE@BÜRO.EXAMPLE", "änne@büro.example")]
    [InlineData("x@y", "x@y")]
    public void Parse_TrimsAndLowerCasesEmails(string email, string expected)
    {
        var body = new JsonObject { ["id"] = "evt_1", ["type"] = "email.sent", ["occurredAt"] = "2026-11-23T10:00:00Z", ["campaignId"] = "c", ["email"] = email };

        var result = Parse(WebhookSourceKind.StandardWebhooks, body.ToJsonString());

        Assert.Equal(expected, Assert.Single(result.Events).Email);
    }

    [Fact]
    public void Parse_IgnoresUnknownFieldsAndNulls()
    {
        var result = Parse(WebhookSourceKind.StandardWebhooks, """{"id":"evt_1","type":"email.sent","occurredAt":"2026-11-23T10:00:00Z","campaignId":"c","email":"a@b.c","crmContactId":null,"data":null,"extra":{"deep":[true]},"ünïcødé":"✓"}""");

        Assert.True(result.Succeeded, result.Error);
        Assert.Null(Assert.Single(result.Events).CrmContactId);
    }

    [Fact]
    public void Parse_KeepsEachElementsRawText_AsPayload()
    {
        const string first = """{ "id" : "evt_1", "type":"email.sent", "occurredAt":"2026-11-23T10:00:00Z", "campaignId":"c", "email":"a@b.c", "data": {"emoji":"😀", "escaped":"\u00e9"} }""";
        const string second = """{"id":"evt_2","type":"email.sent","occurredAt":"2026-11-23T10:00:00Z","crmContactId":"9"}""";

        var result = Parse(WebhookSourceKind.StandardWebhooks, $"[\n  {first},\n  {second}\n]");

        Assert.Equal([first, second], result.Events.Select(e => e.Payload));
    }

    [Fact]
    public void Parse_AcceptsAByteOrderMark()
    {
        var body = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(Canonical)).ToArray();

        Assert.True(WebhookParser.Parse("src", WebhookSourceKind.StandardWebhooks, body).Succeeded);
    }

    [Theory]
    [InlineData(WebhookSourceKind.StandardWebhooks, "", "body is empty")]
    [InlineData(WebhookSourceKind.Lemlist, " \r\n\t ", "body is empty")]
    [InlineData(WebhookSourceKind.StandardWebhooks, "42", "body must be a JSON object or array")]
    [InlineData(WebhookSourceKind.Lemlist, "\"text\"", "body must be a JSON object or array")]
    [InlineData(WebhookSourceKind.StandardWebhooks, "null", "body must be a JSON object or array")]
    [InlineData(WebhookSourceKind.HubSpot, """{"eventId":1}""", "a HubSpot body must be a JSON array of events")]
    [InlineData(WebhookSourceKind.HubSpot, "[]", "batch is empty")]
    [InlineData(WebhookSourceKind.StandardWebhooks, "[]", "batch is empty")]
    [InlineData(WebhookSourceKind.HubSpot, "[1]", "element 0: must be a JSON object")]
    [InlineData(WebhookSourceKind.StandardWebhooks, """[{"id":"e","type":"t","occurredAt":"2026-11-23T10:00:00Z","crmContactId":"1"}, []]""", "element 1: must be a JSON object")]
    // HubSpot fields
    [InlineData(WebhookSourceKind.HubSpot, """[{"subscriptionId":8,"portalId":9,"occurredAt":1,"subscriptionType":"x"}]""", "element 0: 'eventId' is required")]
    [InlineData(WebhookSourceKind.HubSpot, """[{"eventId":1.5,"subscriptionId":8,"portalId":9,"occurredAt":1,"subscriptionType":"x"}]""", "element 0: 'eventId' must be an integer")]
    [InlineData(WebhookSourceKind.HubSpot, """[{"eventId":1e400,"subscriptionId":8,"portalId":9,"occurredAt":1,"subscriptionType":"x"}]""", "element 0: 'eventId' must be an integer")]
    [InlineData(WebhookSourceKind.HubSpot, """[{"eventId":"7","subscriptionId":8,"portalId":9,"occurredAt":1,"subscriptionType":"x"}]""", "element 0: 'eventId' must be an integer")]
    [InlineData(WebhookSourceKind.HubSpot, """[{"eventId":7,"subscriptionId":8,"portalId":null,"occurredAt":1,"subscriptionType":"x"}]""", "element 0: 'portalId' is required")]
    [InlineData(WebhookSourceKind.HubSpot, """[{"eventId":7,"subscriptionId":8,"portalId":9,"occurredAt":"2026-11-23T10:00:00Z","subscriptionType":"x"}]""", "element 0: 'occurredAt' must be a Unix millisecond timestamp")]
    [InlineData(WebhookSourceKind.HubSpot, """[{"eventId":7,"subscriptionId":8,"portalId":9,"occurredAt":-1,"subscriptionType":"x"}]""", "element 0: 'occurredAt' must be a Unix millisecond timestamp")]
    [InlineData(WebhookSourceKind.HubSpot, """[{"eventId":7,"subscriptionId":8,"portalId":9,"occurredAt":253402300800000,"subscriptionType":"x"}]""", "element 0: 'occurredAt' must be a Unix millisecond timestamp")]
    [InlineData(WebhookSourceKind.HubSpot, """[{"eventId":7,"subscriptionId":8,"portalId":9,"occurredAt":1}]""", "element 0: 'subscriptionType' is required")]
    [InlineData(WebhookSourceKind.HubSpot, """[{"eventId":7,"subscriptionId":8,"portalId":9,"occurredAt":1,"subscriptionType":""}]""", "element 0: 'subscriptionType' must not be empty")]
    [InlineData(WebhookSourceKind.HubSpot, """[{"eventId":7,"subscriptionId":8,"portalId":9,"occurredAt":1,"subscriptionType":"contact.creation"}]""", "element 0: 'objectId' is required for subscriptionType 'contact.creation'")]
    [InlineData(WebhookSourceKind.HubSpot, """[{"eventId":7,"subscriptionId":8,"portalId":9,"occurredAt":1,"subscriptionType":"x","objectId":true}]""", "element 0: 'objectId' must be an integer or a string")]
    // Lemlist fields
    [InlineData(WebhookSourceKind.Lemlist, """{"type":"emailsSent","createdAt":"2026-11-23T10:00:00Z","campaignId":"c","leadEmail":"a@b.c"}""", "'_id' is required")]
    [InlineData(WebhookSourceKind.Lemlist, """{"_id":"a","createdAt":"2026-11-23T10:00:00Z","campaignId":"c","leadEmail":"a@b.c"}""", "'type' is required")]
    [InlineData(WebhookSourceKind.Lemlist, """{"_id":"a","type":"emailsSent","campaignId":"c","leadEmail":"a@b.c"}""", "'createdAt' is required")]
    [InlineData(WebhookSourceKind.Lemlist, """{"_id":"a","type":"emailsSent","createdAt":"2026-11-23T10:00:00Z","leadEmail":"a@b.c"}""", "'campaignId' is required for type 'emailsSent'")]
    [InlineData(WebhookSourceKind.Lemlist, """{"_id":"a","type":"emailsSent","createdAt":"2026-11-23T10:00:00Z","campaignId":"c"}""", "'leadEmail' is required for type 'emailsSent'")]
    [InlineData(WebhookSourceKind.Lemlist, """{"_id":"a","type":"emailsSent","createdAt":"2026-11-23T10:00:00Z","campaignId":"c","leadEmail":"nobody"}""", "'leadEmail' must be an email address (3 to 320 characters, one '@' with text on both sides, no spaces or control characters)")]
    // Canonical fields
    [InlineData(WebhookSourceKind.StandardWebhooks, """{"type":"t","occurredAt":"2026-11-23T10:00:00Z","crmContactId":"1"}""", "'id' is required")]
    [InlineData(WebhookSourceKind.StandardWebhooks, """{"id":null,"type":"t","occurredAt":"2026-11-23T10:00:00Z","crmContactId":"1"}""", "'id' is required")]
    [InlineData(WebhookSourceKind.StandardWebhooks, """{"id":5,"type":"t","occurredAt":"2026-11-23T10:00:00Z","crmContactId":"1"}""", "'id' must be a string")]
    [InlineData(WebhookSourceKind.StandardWebhooks, """{"id":"","type":"t","occurredAt":"2026-11-23T10:00:00Z","crmContactId":"1"}""", "'id' must not be empty")]
    [InlineData(WebhookSourceKind.StandardWebhooks, """{"id":"   ","type":"t","occurredAt":"2026-11-23T10:00:00Z","crmContactId":"1"}""", "'id' must not be empty")]
    [InlineData(WebhookSourceKind.StandardWebhooks, """{"id":"e","occurredAt":"2026-11-23T10:00:00Z","crmContactId":"1"}""", "'type' is required")]
    [InlineData(WebhookSourceKind.StandardWebhooks, """{"id":"e","type":["t"],"occurredAt":"2026-11-23T10:00:00Z","crmContactId":"1"}""", "'type' must be a string")]
    [InlineData(WebhookSourceKind.StandardWebhooks, """{"id":"e","type":"t","crmContactId":"1"}""", "'occurredAt' is required")]
    [InlineData(WebhookSourceKind.StandardWebhooks, """{"id":"e","type":"t","occurredAt":"2026-11-23T10:00:00","crmContactId":"1"}""", "'occurredAt' must be an ISO 8601 date-time with an offset, such as 2026-11-23T10:00:00Z")]
    [InlineData(WebhookSourceKind.StandardWebhooks, """{"id":"e","type":"t","occurredAt":"2026-11-23","crmContactId":"1"}""", "'occurredAt' must be an ISO 8601 date-time with an offset, such as 2026-11-23T10:00:00Z")]
    [InlineData(WebhookSourceKind.StandardWebhooks, """{"id":"e","type":"t","occurredAt":"23/11/2026 10:00 +00:00","crmContactId":"1"}""", "'occurredAt' must be an ISO 8601 date-time with an offset, such as 2026-11-23T10:00:00Z")]
    [InlineData(WebhookSourceKind.StandardWebhooks, """{"id":"e","type":"t","occurredAt":1763892000,"crmContactId":"1"}""", "'occurredAt' must be an ISO 8601 date-time with an offset, such as 2026-11-23T10:00:00Z")]
    [InlineData(WebhookSourceKind.StandardWebhooks, """{"id":"e","type":"t","occurredAt":"2026-11-23T10:00:00Z"}""", "either 'campaignId' and 'email', or 'crmContactId', is required")]
    [InlineData(WebhookSourceKind.StandardWebhooks, """{"id":"e","type":"t","occurredAt":"2026-11-23T10:00:00Z","campaignId":"c"}""", "either 'campaignId' and 'email', or 'crmContactId', is required")]
    [InlineData(WebhookSourceKind.StandardWebhooks, """{"id":"e","type":"t","occurredAt":"2026-11-23T10:00:00Z","email":"a@b.c"}""", "either 'campaignId' and 'email', or 'crmContactId', is required")]
    [InlineData(WebhookSourceKind.StandardWebhooks, """{"id":"e","type":"t","occurredAt":"2026-11-23T10:00:00Z","campaignId":"c","email":7}""", "'email' must be a string")]
    [InlineData(WebhookSourceKind.StandardWebhooks, """{"id":"e","type":"t","occurredAt":"2026-11-23T10:00:00Z","campaignId":"c","email":"@"}""", "'email' must be an email address (3 to 320 characters, one '@' with text on both sides, no spaces or control characters)")]
    [InlineData(WebhookSourceKind.StandardWebhooks, """{"id":"e","type":"t","occurredAt":"2026-11-23T10:00:00Z","crmContactId":{"id":1}}""", "'crmContactId' must be a string")]
    // What Postgres cannot store as jsonb
    [InlineData(WebhookSourceKind.StandardWebhooks, """{"id":"e\u0000","type":"t","occurredAt":"2026-11-23T10:00:00Z","crmContactId":"1"}""", "strings must not contain the NUL character (\\u0000) (at 'id')")]
    [InlineData(WebhookSourceKind.StandardWebhooks, """{"id":"e","type":"t","occurredAt":"2026-11-23T10:00:00Z","crmContactId":"1","data":{"a":[0,"\u0000"]}}""", "strings must not contain the NUL character (\\u0000) (at 'data.a[1]')")]
    [InlineData(WebhookSourceKind.StandardWebhooks, """{"id":"e","type":"t","occurredAt":"2026-11-23T10:00:00Z","crmContactId":"1","data":{"k\u0000":1}}""", "property names must not contain the NUL character (\\u0000) (at 'data')")]
    [InlineData(WebhookSourceKind.StandardWebhooks, """{"id":"e","type":"t","occurredAt":"2026-11-23T10:00:00Z","crmContactId":"1","data":{"big":1e1001}}""", "numbers must have at most 100 characters and an exponent between -1000 and 1000 (at 'data.big')")]
    [InlineData(WebhookSourceKind.StandardWebhooks, """{"id":"e","type":"t","occurredAt":"2026-11-23T10:00:00Z","crmContactId":"1","data":{"tiny":-1E-2147483648}}""", "numbers must have at most 100 characters and an exponent between -1000 and 1000 (at 'data.tiny')")]
    [InlineData(WebhookSourceKind.HubSpot, """[{"eventId":7,"subscriptionId":8,"portalId":9,"occurredAt":1,"subscriptionType":"x","propertyValue":"\ud800"}]""", "element 0: strings must be valid Unicode (well-formed UTF-8, no unpaired surrogate) (at 'propertyValue')")]
    public void Parse_NamesWhatIsWrong_WhenBodyIsInvalid(WebhookSourceKind kind, string body, string error)
    {
        var result = Parse(kind, body);

        Assert.False(result.Succeeded);
        Assert.Empty(result.Events);
        Assert.Equal(error, result.Error);
    }

    [Theory]
    [InlineData("{\"id\":")]
    [InlineData("{'id':'e'}")]
    [InlineData("[{\"id\":\"e\"},]")]
    [InlineData("{\"id\":\"e\"} // comment")]
    [InlineData("{\"id\":\"e\"} {\"id\":\"f\"}")]
    [InlineData("<xml/>")]
    public void Parse_SaysWhereTheSyntaxErrorIs_WhenBodyIsNotJson(string body)
    {
        var result = Parse(WebhookSourceKind.StandardWebhooks, body);

        Assert.StartsWith("body is not valid JSON: ", result.Error, StringComparison.Ordinal);
        Assert.Matches(@"\(line \d+, byte \d+\)$", result.Error);
    }

    [Fact]
    public void Parse_RefusesInvalidUtf8()
    {
        var body = Encoding.UTF8.GetBytes("""{"id":"e","type":"t","occurredAt":"2026-11-23T10:00:00Z","crmContactId":"X"}""");
        body[^3] = 0xFF;

        var result = WebhookParser.Parse("src", WebhookSourceKind.StandardWebhooks, body);

        Assert.Equal("strings must be valid Unicode (well-formed UTF-8, no unpaired surrogate) (at 'crmContactId')", result.Error);
    }

    [Theory]
    [InlineData(64, true)]
    [InlineData(65, false)]
    [InlineData(10_000, false)]
    public void Parse_LimitsNesting(int depth, bool accepted)
    {
        // The event object is level 1; "data" nests arrays from level 2 down to level `depth`.
        var data = new string('[', depth - 1) + new string(']', depth - 1);
        var body = $$"""{"id":"e","type":"t","occurredAt":"2026-11-23T10:00:00Z","crmContactId":"1","data":{{data}}}""";

        var result = Parse(WebhookSourceKind.StandardWebhooks, body);

        Assert.Equal(accepted, result.Succeeded);
        if (!accepted)
        {
            Assert.StartsWith("body is not valid JSON: The maximum configured depth of 64 has been exceeded", result.Error, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("id", 200, 201, "'id' must be at most 200 characters")]
    [InlineData("type", 100, 101, "'type' must be at most 100 characters")]
    [InlineData("campaignId", 200, 201, "'campaignId' must be at most 200 characters")]
    [InlineData("crmContactId", 200, 201, "'crmContactId' must be at most 200 characters")]
    public void Parse_LimitsLengths(string field, int longest, int tooLong, string error)
    {
        JsonObject Body(int length)
        {
            var body = JsonNode.Parse(Canonical)!.AsObject();
            body["crmContactId"] = "1";
            body[field] = new string('é', length);
            return body;
        }

        Assert.True(Parse(WebhookSourceKind.StandardWebhooks, Body(longest).ToJsonString()).Succeeded);
        Assert.Equal(error, Parse(WebhookSourceKind.StandardWebhooks, Body(tooLong).ToJsonString()).Error);
    }

    [Fact]
    public void Parse_LimitsEmailLength()
    {
        JsonObject Body(int length)
        {
            var body = JsonNode.Parse(Canonical)!.AsObject();
            body["email"] = new string('a', length - "@example.com".Length) + "@example.com";
            return body;
        }

        Assert.True(Parse(WebhookSourceKind.StandardWebhooks, Body(320).ToJsonString()).Succeeded);
        Assert.Equal("'email' must be an email address (3 to 320 characters, one '@' with text on both sides, no spaces or control characters)", Parse(WebhookSourceKind.StandardWebhooks, Body(321).ToJsonString()).Error);
    }

    [Theory]
    [InlineData(1000, null)]
    [InlineData(1001, "batch has more than 1000 events")]
    public void Parse_LimitsBatchSize(int count, string? error)
    {
        var one = """{"eventId":7,"subscriptionId":8,"portalId":9,"occurredAt":1763892000000,"subscriptionType":"contact.creation","objectId":1}""";
        var body = "[" + string.Join(",", Enumerable.Repeat(one, count)) + "]";

        var result = Parse(WebhookSourceKind.HubSpot, body);

        Assert.Equal(error, result.Error);
        Assert.Equal(error is null ? count : 0, result.Events.Count);
    }

    private static ParseResult Parse(WebhookSourceKind kind, string body) => Parse(kind, Encoding.UTF8.GetBytes(body));

    private static ParseResult Parse(WebhookSourceKind kind, byte[] body) => WebhookParser.Parse("src", kind, body);

    private static void AssertEvent(CanonicalEvent e, string eventId, string type, long occurredAtMs, string crmContactId)
    {
        Assert.Equal("src", e.Source);
        Assert.Equal(eventId, e.EventId);
        Assert.Equal(type, e.Type);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(occurredAtMs), e.OccurredAt);
        Assert.Equal(crmContactId, e.CrmContactId);
        Assert.Null(e.CampaignId);
        Assert.Null(e.Email);
    }

    private static void AssertPayloadsAreTheElements(byte[] body, IReadOnlyList<CanonicalEvent> events)
    {
        using var document = JsonDocument.Parse(body);
        Assert.Equal(document.RootElement.EnumerateArray().Select(e => e.GetRawText()), events.Select(e => e.Payload));
    }
}
