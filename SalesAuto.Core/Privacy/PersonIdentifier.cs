namespace SalesAuto.Core.Privacy;

/// <summary>What names a person: a lower-cased email or a CRM contact id.</summary>
public enum IdentifierKind
{
    /// <summary>A lower-cased email (enrollments, Lemlist and canonical events).</summary>
    Email,

    /// <summary>A CRM contact id (enrollments, HubSpot events).</summary>
    CrmContactId,
}

/// <summary>One identifier of a person, as SalesAuto stores it (emails lower-cased).</summary>
/// <param name="Kind">Email or CRM contact id.</param>
/// <param name="Value">The value.</param>
public readonly record struct PersonIdentifier(IdentifierKind Kind, string Value)
{
    /// <summary>An email, lower-cased as every store keeps it.</summary>
    public static PersonIdentifier Email(string email) => new(IdentifierKind.Email, email.ToLowerInvariant());

    /// <summary>A CRM contact id, as received.</summary>
    public static PersonIdentifier CrmContact(string crmContactId) => new(IdentifierKind.CrmContactId, crmContactId);

    /// <summary>The text that is hashed: kind and value, unambiguous (neither kind name contains a newline).</summary>
    internal string Canonical => (Kind == IdentifierKind.Email ? "email\n" : "crm\n") + Value;

    /// <summary>Never the value: identifiers must not reach a log line by accident.</summary>
    public override string ToString() => Kind == IdentifierKind.Email ? "email:(redacted)" : "crm:(redacted)";
}

/// <summary>Everything that names one person in SalesAuto's stores.</summary>
/// <param name="Emails">Lower-cased emails.</param>
/// <param name="CrmContactIds">CRM contact ids.</param>
internal sealed record PersonIdentifiers(IReadOnlyList<string> Emails, IReadOnlyList<string> CrmContactIds)
{
    /// <summary>Every identifier, emails first.</summary>
    public IEnumerable<PersonIdentifier> All =>
        Emails.Select(PersonIdentifier.Email).Concat(CrmContactIds.Select(PersonIdentifier.CrmContact));

    /// <summary>Whether an event (or parked orphan) naming this email or CRM id is about this person.</summary>
    public bool Matches(string? email, string? crmContactId) =>
        (email is not null && Emails.Contains(email, StringComparer.Ordinal))
        || (crmContactId is not null && CrmContactIds.Contains(crmContactId, StringComparer.Ordinal));
}
