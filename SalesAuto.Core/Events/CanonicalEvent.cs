namespace SalesAuto.Core.Events;

/// <summary>
/// One provider event in SalesAuto's canonical form (docs/webhooks.md). It finds its enrollment by
/// campaign id and lower-cased email, or, when it has no email (HubSpot), by CRM contact id.
/// </summary>
/// <param name="Source">The configured source name (<c>Webhooks:Sources:{name}</c>).</param>
/// <param name="EventId">The idempotency key within the source (HubSpot: portal, subscription, event id and occurrence time).</param>
/// <param name="Type">The canonical type, or the provider's own when it has no canonical name.</param>
/// <param name="OccurredAt">When the provider says it happened.</param>
/// <param name="CampaignId">The provider's campaign id, when the event names one.</param>
/// <param name="Email">The lower-cased email, when the event names one.</param>
/// <param name="CrmContactId">The CRM contact id, when the event names one.</param>
/// <param name="Payload">The provider's event JSON as received (one element of a batch).</param>
public sealed record CanonicalEvent(
    string Source,
    string EventId,
    string Type,
    DateTimeOffset OccurredAt,
    string? CampaignId,
    string? Email,
    string? CrmContactId,
    string Payload)
{
    /// <summary>
    /// The enrollment this event waits for when it is an orphan: what <c>POST /api/enrollments</c>
    /// releases. Campaign and email when both are known, else the CRM contact id.
    /// </summary>
    public string LookupKey => Email is not null && CampaignId is not null
        ? EnrollmentKeys.ByEmail(CampaignId, Email)
        : EnrollmentKeys.ByCrmContact(CrmContactId ?? string.Empty);
}

/// <summary>The two ways an event names its enrollment, as strings both the queue and the enrollment endpoint build.</summary>
internal static class EnrollmentKeys
{
    /// <summary>Campaign id and lower-cased email.</summary>
    public static string ByEmail(string campaignId, string email) => $"e\n{campaignId}\n{email}";

    /// <summary>CRM contact id.</summary>
    public static string ByCrmContact(string crmContactId) => $"c\n{crmContactId}";
}

/// <summary>What processing did with one event.</summary>
public enum EventOutcome
{
    /// <summary>Stored now, attached to its enrollment.</summary>
    Applied,

    /// <summary>Already stored before: nothing changed.</summary>
    Duplicate,

    /// <summary>Its enrollment does not exist (yet).</summary>
    Orphan,

    /// <summary>It is about an erased person (on the suppression list): not stored, not to be parked or dead-lettered.</summary>
    Suppressed,
}
