namespace SalesAuto.Core.Observability;

/// <summary>Settings of the <c>Metrics</c> section.</summary>
public sealed class MetricsOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Metrics";

    /// <summary><c>Metrics:RequireKey</c>: when true, <c>GET /api/metrics</c> needs an admin key.</summary>
    public bool RequireKey { get; set; }
}
