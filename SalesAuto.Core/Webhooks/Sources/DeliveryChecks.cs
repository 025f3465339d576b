using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace SalesAuto.Core.Webhooks.Sources;

/// <summary>The checks several sources make on a delivery, with the same sentences for all of them.</summary>
internal static class DeliveryChecks
{
    /// <summary>The length of an HMAC-SHA256 or SHA-256 value.</summary>
    public const int Sha256Bytes = 32;

    /// <summary>One non-empty value of header <paramref name="name"/>, or the sentence that says why not.</summary>
    public static string? SingleHeader(HttpRequest request, string name, out string value)
    {
        var values = request.Headers[name];
        value = values.Count == 1 ? values[0] ?? string.Empty : string.Empty;
        if (values.Count > 1)
        {
            return $"{name} header appears more than once.";
        }

        return StringValues.IsNullOrEmpty(values) || value.Trim().Length == 0 ? $"{name} header is missing." : null;
    }

    /// <summary>
    /// A timestamp more than the tolerance away from now, in either direction: too old is a replay,
    /// too new is a clock or a forgery; both are refused. Null when <paramref name="outside"/> is false.
    /// </summary>
    public static VerificationResult? OutsideWindow(string header, long skewSeconds, bool outside, TimeSpan tolerance)
    {
        if (!outside)
        {
            return null;
        }

        var direction = skewSeconds >= 0 ? "in the past" : "in the future";
        return VerificationResult.Failure(
            VerificationResult.TimestampReason,
            $"{header} is {Durations.Describe(Math.Abs(skewSeconds))} {direction}; the tolerance is {Durations.Describe((long)tolerance.TotalSeconds)}.");
    }
}
