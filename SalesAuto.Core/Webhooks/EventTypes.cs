namespace SalesAuto.Core.Webhooks;

/// <summary>
/// The canonical event types (DESIGN.md, "Events and enrollments"). Each provider's mapping onto them
/// lives with its source (<see cref="Sources.WebhookSource.TypeMap"/>): docs/webhooks.md lists the same
/// table and a test keeps the two equal. A provider type with no canonical name is stored as received;
/// it is never an error.
/// </summary>
internal static class EventTypes
{
    /// <summary>An email was sent.</summary>
    public const string EmailSent = "email.sent";

    /// <summary>An email was opened.</summary>
    public const string EmailOpened = "email.opened";

    /// <summary>A link in an email was clicked.</summary>
    public const string EmailClicked = "email.clicked";

    /// <summary>The contact replied.</summary>
    public const string EmailReplied = "email.replied";

    /// <summary>The email bounced.</summary>
    public const string EmailBounced = "email.bounced";

    /// <summary>The contact unsubscribed.</summary>
    public const string EmailUnsubscribed = "email.unsubscribed";

    /// <summary>The email could not be sent.</summary>
    public const string EmailFailed = "email.failed";

    /// <summary>The lead was marked interested.</summary>
    public const string LeadInterested = "lead.interested";

    /// <summary>The lead was marked not interested.</summary>
    public const string LeadNotInterested = "lead.not_interested";

    /// <summary>A CRM contact was created.</summary>
    public const string ContactCreated = "contact.created";

    /// <summary>A CRM contact changed.</summary>
    public const string ContactUpdated = "contact.updated";

    /// <summary>A CRM contact was deleted (including a privacy deletion).</summary>
    public const string ContactDeleted = "contact.deleted";

    /// <summary>Every canonical type, in the order DESIGN.md lists them.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        EmailSent, EmailOpened, EmailClicked, EmailReplied, EmailBounced, EmailUnsubscribed, EmailFailed,
        LeadInterested, LeadNotInterested, ContactCreated, ContactUpdated, ContactDeleted,
    ];
}
