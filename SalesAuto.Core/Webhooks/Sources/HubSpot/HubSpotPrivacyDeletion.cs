using System.Text.Json;
using SalesAuto.Core.Events;

namespace SalesAuto.Core.Webhooks.Sources.HubSpot;

/// <summary>
/// HubSpot's <c>contact.privacyDeletion</c> (a contact GDPR-deleted in the CRM): stored under the
/// canonical type <c>contact.deleted</c> like <c>contact.deletion</c>, it also erases that CRM
/// contact everywhere, as <c>POST /api/privacy/erase</c> does, audited with the source as actor
/// (<see cref="HubSpotSource.PeopleToErase"/>).
/// </summary>
internal static class HubSpotPrivacyDeletion
{
    /// <summary>HubSpot's <c>subscriptionType</c>.</summary>
    public const string SubscriptionType = "contact.privacyDeletion";

    /// <summary>The CRM contact ids that <paramref name="events"/> (one HubSpot delivery) ask to erase, each once.</summary>
    public static IReadOnlyList<string> ContactsToErase(IReadOnlyList<CanonicalEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        return [.. events.Where(IsPrivacyDeletion).Select(e => e.CrmContactId!).Distinct(StringComparer.Ordinal)];
    }

    private static bool IsPrivacyDeletion(CanonicalEvent e)
    {
        if (e.Type != EventTypes.ContactDeleted || e.CrmContactId is null)
        {
            return false;
        }

        // The parser has already read this payload: it is one valid JSON object.
        using var payload = JsonDocument.Parse(e.Payload);
        return payload.RootElement.TryGetProperty("subscriptionType", out var type)
            && type.ValueKind == JsonValueKind.String
            && type.ValueEquals(SubscriptionType);
    }
}
