namespace SalesAuto.Core.Webhooks;

/// <summary>
/// The outcome of <see cref="WebhookVerifier.Verify"/>: success, or a failure with the metric reason
/// (<c>salesauto_webhook_rejected_total{reason}</c>) and a sentence for the 401 answer that says exactly
/// what was wrong. A detail never contains a secret or a computed signature.
/// </summary>
internal sealed class VerificationResult
{
    /// <summary>The reason of a bad or missing signature or token (a value of SalesAutoMetrics.RejectReasons).</summary>
    public const string SignatureReason = "signature";

    /// <summary>The reason of a missing, malformed or out-of-window timestamp (a value of SalesAutoMetrics.RejectReasons).</summary>
    public const string TimestampReason = "timestamp";

    private VerificationResult(string? reason, string? detail)
    {
        Reason = reason;
        Detail = detail;
    }

    /// <summary>The delivery is authentic.</summary>
    public static VerificationResult Success { get; } = new(null, null);

    /// <summary>True when the delivery is authentic.</summary>
    public bool Succeeded => Reason is null;

    /// <summary><see cref="SignatureReason"/> or <see cref="TimestampReason"/>; null on success.</summary>
    public string? Reason { get; }

    /// <summary>What exactly was wrong, as one sentence; null on success.</summary>
    public string? Detail { get; }

    /// <summary>A failed verification.</summary>
    public static VerificationResult Failure(string reason, string detail)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        ArgumentException.ThrowIfNullOrEmpty(detail);
        return new VerificationResult(reason, detail);
    }

    /// <inheritdoc />
    public override string ToString() => Succeeded ? "Success" : $"Failure({Reason}: {Detail})";
}
