using SalesAuto.Core.Audit;
using SalesAuto.Core.Events;

namespace SalesAuto.Core.Privacy;

/// <summary>
/// Audits events that were not stored because their person was erased: one audit row per person
/// and delivery (or retry batch), the person as the keyed hash of the identifier the event names
/// (its email, else its CRM contact id), the number of events in <c>detail</c>. Nothing else about
/// those events is kept or logged.
/// </summary>
public sealed class SuppressionHits(PostgresAuditLog audit, PrivacyHasher hasher)
{
    /// <summary>The outcome the audit rows carry.</summary>
    public const string NotStored = "not_stored";

    /// <summary>Writes the audit rows for <paramref name="suppressed"/> under <paramref name="actor"/>; nothing when empty.</summary>
    public Task RecordAsync(string actor, IReadOnlyCollection<CanonicalEvent> suppressed, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(actor);
        ArgumentNullException.ThrowIfNull(suppressed);
        if (suppressed.Count == 0)
        {
            return Task.CompletedTask;
        }

        var records = suppressed
            .GroupBy(e => e.Email is { } email ? PersonIdentifier.Email(email) : PersonIdentifier.CrmContact(e.CrmContactId ?? string.Empty))
            .Select(group => new AuditRecord(actor, AuditActions.Suppressed, NotStored, hasher.Current(group.Key), new
            {
                events = group.Count(),
                sources = group.Select(e => e.Source).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray(),
            }))
            .ToList();
        return audit.WriteAsync(records, cancellationToken);
    }
}
