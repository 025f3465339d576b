using System.ComponentModel.DataAnnotations;

namespace SalesAuto.Core.Postgres;

/// <summary>Settings of the <c>Postgres</c> section plus <c>ConnectionStrings:Postgres</c>.</summary>
public sealed class PostgresOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Postgres";

    /// <summary><c>ConnectionStrings:Postgres</c>.</summary>
    [Required(ErrorMessage = "ConnectionStrings:Postgres is required (an Npgsql connection string).")]
    public string? ConnectionString { get; set; }

    /// <summary><c>Postgres:StatementTimeout</c>: every statement is cancelled by the server past this.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00", ErrorMessage = "Postgres:StatementTimeout must be between 1 ms and 1 hour.")]
    public TimeSpan StatementTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary><c>Postgres:IdleInTransactionTimeout</c>: a session idle inside a transaction is ended past this.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00", ErrorMessage = "Postgres:IdleInTransactionTimeout must be between 1 ms and 1 hour.")]
    public TimeSpan IdleInTransactionTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// <c>Postgres:MaxAutoPrepare</c>: how many statements each connection prepares automatically
    /// (Npgsql's Max Auto Prepare) unless the connection string says otherwise; 0 turns it off
    /// (needed behind a transaction-mode PgBouncer without prepared-statement support).
    /// </summary>
    [Range(0, 1000, ErrorMessage = "Postgres:MaxAutoPrepare must be between 0 and 1000.")]
    public int MaxAutoPrepare { get; set; } = 20;

    /// <summary><c>Postgres:MigrateOnStart</c>: apply migrations when the host starts (both hosts; default true).</summary>
    public bool MigrateOnStart { get; set; } = true;

    /// <summary>
    /// <c>Postgres:MigrationLockTimeout</c>: how long a starting instance waits for another
    /// instance's migration (the advisory lock) before it gives up and stops. The Functions worker
    /// migrates before it connects to the host, so this keeps its start-up inside the host's
    /// worker start-up timeout (docs/deploy.md).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00", ErrorMessage = "Postgres:MigrationLockTimeout must be between 100 ms and 10 minutes.")]
    public TimeSpan MigrationLockTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
