using System.Text;
using SalesAuto.Core.Privacy;
using SalesAuto.Core.Webhooks;
using SalesAuto.Core.Webhooks.Sources;

namespace SalesAuto.Core.Tests.Webhooks;

/// <summary>
/// The registry of webhook sources: every kind a setting can name has exactly one source, and what
/// only one provider does (a HubSpot privacy deletion erasing its contact) stays with that provider.
/// </summary>
public sealed class WebhookSourcesTests
{
    [Fact]
    public void All_HoldsExactlyOneSource_ForEveryKindButNone()
    {
        var kinds = Enum.GetValues<WebhookSourceKind>().Where(kind => kind != WebhookSourceKind.None);

        Assert.Equal(kinds.Order(), WebhookSources.All.Select(source => source.Kind).Order());
    }

    [Theory]
    [InlineData(WebhookSourceKind.None)]
    [InlineData((WebhookSourceKind)99)]
    public void For_Throws_WhenTheKindHasNoSource(WebhookSourceKind kind)
    {
        Assert.False(WebhookSources.TryGet(kind, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => WebhookSources.For(kind));
    }

    [Fact]
    public void KindNames_NamesEveryKind_InTheOrderOfAll()
    {
        Assert.Equal("HubSpot, Lemlist or StandardWebhooks", WebhookSources.KindNames);
    }

    [Fact]
    public void CanonicalType_KeepsAnUnmappedType_AsReceived()
    {
        var lemlist = WebhookSources.For(WebhookSourceKind.Lemlist);

        Assert.Equal(EventTypes.EmailOpened, lemlist.CanonicalType("emailsOpened"));
        Assert.Equal("emailsOpened", WebhookSources.For(WebhookSourceKind.StandardWebhooks).CanonicalType("emailsOpened"));
        Assert.Equal("linkedinVisitDone", lemlist.CanonicalType("linkedinVisitDone"));
    }

    [Fact]
    public void PeopleToErase_NamesEachPrivacyDeletedHubSpotContactOnce()
    {
        var body = """
            [{"eventId":1,"subscriptionId":7,"portalId":3,"occurredAt":1763892000000,"subscriptionType":"contact.privacyDeletion","objectId":901},
             {"eventId":2,"subscriptionId":7,"portalId":3,"occurredAt":1763892000001,"subscriptionType":"contact.privacyDeletion","objectId":901},
             {"eventId":3,"subscriptionId":8,"portalId":3,"occurredAt":1763892000002,"subscriptionType":"contact.deletion","objectId":902},
             {"eventId":4,"subscriptionId":9,"portalId":3,"occurredAt":1763892000003,"subscriptionType":"contact.propertyChange","objectId":903}]
            """;
        var parsed = WebhookParser.Parse("hs", WebhookSourceKind.HubSpot, Encoding.UTF8.GetBytes(body));
        Assert.True(parsed.Succeeded, parsed.Error);

        var people = WebhookSources.For(WebhookSourceKind.HubSpot).PeopleToErase(parsed.Events);

        Assert.Equal([PersonIdentifier.CrmContact("901")], people);
    }

    [Fact]
    public void PeopleToErase_IsEmpty_ForACanonicalEventThatLooksLikeAHubSpotPrivacyDeletion()
    {
        // Only HubSpot's own deliveries may erase: a Standard Webhooks sender that copies HubSpot's
        // field into a canonical contact.deleted event has its event stored, nobody erased.
        var body = """
            {"id":"evt_1","type":"contact.deleted","occurredAt":"2026-11-23T10:00:00Z","crmContactId":"901","subscriptionType":"contact.privacyDeletion"}
            """;
        var parsed = WebhookParser.Parse("std", WebhookSourceKind.StandardWebhooks, Encoding.UTF8.GetBytes(body));
        Assert.True(parsed.Succeeded, parsed.Error);
        Assert.Equal(EventTypes.ContactDeleted, Assert.Single(parsed.Events).Type);

        Assert.Empty(WebhookSources.For(WebhookSourceKind.StandardWebhooks).PeopleToErase(parsed.Events));
    }
}
