namespace SalesAuto.Core.Privacy;

/// <summary>
/// The transaction-scoped advisory lock that orders event storage against new suppressions.
/// Every batch of events takes it shared before the statement that stores them; an erase takes
/// it exclusive while it writes suppressions. So a batch either committed before the suppression
/// (and the erase's Postgres step, which runs later, anonymizes its rows) or reads the suppression
/// (and stores nothing about the person): no event slips between the two. Shared holders never
/// wait for each other; the exclusive holder holds it for one short insert.
/// </summary>
internal static class SuppressionLock
{
    /// <summary>The lock's key: "SASUPPR1" in ASCII.</summary>
    public const long Key = 0x5341_5355_5050_5231;

    /// <summary>Taken by every event batch, in the same transaction as its insert.</summary>
    public static readonly string SharedSql = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"select pg_advisory_xact_lock_shared({Key})");

    /// <summary>Taken by an erase while it writes suppressions.</summary>
    public static readonly string ExclusiveSql = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"select pg_advisory_xact_lock({Key})");
}
