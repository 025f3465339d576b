using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace SalesAuto.Core.Webhooks;

/// <summary>
/// Verifies that a webhook delivery comes from its configured source, exactly as each provider
/// specifies (DESIGN.md, "Webhook sources"). Every configured secret is tried, so a secret can be
/// rotated without downtime; every comparison is constant-time and every secret is always tried, so
/// neither the time taken nor the answer tells which secret matched or how close a guess came.
/// </summary>
public sealed class WebhookVerifier
{
    /// <summary>HubSpot's signature v3 header.</summary>
    public const string HubSpotSignatureHeader = "X-HubSpot-Signature-v3";

    /// <summary>HubSpot's request timestamp header (Unix milliseconds).</summary>
    public const string HubSpotTimestampHeader = "X-HubSpot-Request-Timestamp";

    /// <summary>Lemlist's query parameter carrying the shared token.</summary>
    public const string LemlistTokenParameter = "token";

    /// <summary>Standard Webhooks' message id header.</summary>
    public const string StandardWebhooksIdHeader = "webhook-id";

    /// <summary>Standard Webhooks' timestamp header (Unix seconds).</summary>
    public const string StandardWebhooksTimestampHeader = "webhook-timestamp";

    /// <summary>Standard Webhooks' signature list header.</summary>
    public const string StandardWebhooksSignatureHeader = "webhook-signature";

    /// <summary>Svix's name for <see cref="StandardWebhooksIdHeader"/> (Svix sends the Standard Webhooks signature under its own header names).</summary>
    public const string SvixIdHeader = "svix-id";

    /// <summary>Svix's name for <see cref="StandardWebhooksTimestampHeader"/>.</summary>
    public const string SvixTimestampHeader = "svix-timestamp";

    /// <summary>Svix's name for <see cref="StandardWebhooksSignatureHeader"/>.</summary>
    public const string SvixSignatureHeader = "svix-signature";

    private static readonly StandardWebhooksHeaders StandardFamily = new(StandardWebhooksIdHeader, StandardWebhooksTimestampHeader, StandardWebhooksSignatureHeader);
    private static readonly StandardWebhooksHeaders SvixFamily = new(SvixIdHeader, SvixTimestampHeader, SvixSignatureHeader);

    private const int Sha256Bytes = 32;

    private readonly IOptionsMonitor<WebhookOptions> _options;
    private readonly TimeProvider _time;

    /// <summary>Creates a verifier reading <c>Webhooks:TimestampTolerance</c> and <c>Webhooks:PublicBaseUrl</c> on every call.</summary>
    public WebhookVerifier(IOptionsMonitor<WebhookOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _options = options;
        _time = time;
    }

    /// <summary>
    /// Verifies one delivery of source <paramref name="sourceName"/> against <paramref name="body"/>, the
    /// raw bytes as received. Does not read the request body; reads headers, method, URL and query.
    /// </summary>
    /// <exception cref="ArgumentException">The source's <see cref="WebhookSourceOptions.Kind"/> is not set (options validation refuses that at start-up).</exception>
    public VerificationResult Verify(string sourceName, WebhookSourceOptions source, HttpRequest request, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(sourceName);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(request);

        return source.Kind switch
        {
            WebhookSourceKind.HubSpot => VerifyHubSpot(sourceName, source, request, body),
            WebhookSourceKind.Lemlist => VerifyLemlist(sourceName, source, request),
            WebhookSourceKind.StandardWebhooks => VerifyStandardWebhooks(sourceName, source, request, body),
            _ => throw new ArgumentException($"Webhooks:Sources:{sourceName}:Kind is not set.", nameof(source)),
        };
    }

    // HubSpot signature v3: Base64(HMAC-SHA256(client secret, UTF-8(method + URI + body + timestamp))),
    // timestamp in Unix milliseconds.
    // https://developers.hubspot.com/docs/apps/legacy-apps/authentication/validating-requests#validate-the-v3-request-signature
    private VerificationResult VerifyHubSpot(string sourceName, WebhookSourceOptions source, HttpRequest request, ReadOnlySpan<byte> body)
    {
        if (SingleHeader(request, HubSpotSignatureHeader, out var signature) is { } signatureProblem)
        {
            return VerificationResult.Failure(VerificationResult.SignatureReason, signatureProblem);
        }

        if (SingleHeader(request, HubSpotTimestampHeader, out var timestamp) is { } timestampProblem)
        {
            return VerificationResult.Failure(VerificationResult.TimestampReason, timestampProblem);
        }

        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var sentMs))
        {
            return VerificationResult.Failure(VerificationResult.TimestampReason, $"{HubSpotTimestampHeader} must be a Unix time in milliseconds (digits only).");
        }

        var options = _options.CurrentValue;
        // No overflow: sentMs is not negative and now is a few trillion milliseconds.
        var skewMs = _time.GetUtcNow().ToUnixTimeMilliseconds() - sentMs;
        if (OutsideWindow(HubSpotTimestampHeader, skewMs / 1000, Math.Abs(skewMs) > options.TimestampTolerance.TotalMilliseconds, options.TimestampTolerance) is { } window)
        {
            return window;
        }

        var uri = HubSpotRequestUri.Build(request, options.PublicBaseUrl);
        var prefix = Encoding.UTF8.GetBytes(request.Method + uri);
        var suffix = Encoding.UTF8.GetBytes(timestamp);

        Span<byte> claimed = stackalloc byte[Sha256Bytes];
        var wellFormed = Convert.TryFromBase64String(signature, claimed, out var written) && written == Sha256Bytes;

        Span<byte> computed = stackalloc byte[Sha256Bytes];
        var matched = false;
        foreach (var secret in source.Secrets)
        {
            using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(secret ?? string.Empty));
            hmac.AppendData(prefix);
            hmac.AppendData(body);
            hmac.AppendData(suffix);
            hmac.GetHashAndReset(computed);
            // Non-short-circuit |: every secret is computed and compared whatever matched before.
            matched |= CryptographicOperations.FixedTimeEquals(computed, claimed);
        }

        if (matched && wellFormed)
        {
            return VerificationResult.Success;
        }

        return VerificationResult.Failure(
            VerificationResult.SignatureReason,
            wellFormed
                ? $"{HubSpotSignatureHeader} does not match: no secret of source '{sourceName}' signs {request.Method} {uri} with this body and timestamp."
                : $"{HubSpotSignatureHeader} is not the Base64 of a 32-byte HMAC-SHA256.");
    }

    // Lemlist signs nothing: the target URL carries a shared token. Both sides are hashed first so the
    // constant-time comparison is over equal lengths and does not reveal the secret's length.
    private static VerificationResult VerifyLemlist(string sourceName, WebhookSourceOptions source, HttpRequest request)
    {
        var values = request.Query[LemlistTokenParameter];
        if (values.Count > 1)
        {
            return VerificationResult.Failure(VerificationResult.SignatureReason, $"The '{LemlistTokenParameter}' query parameter appears more than once.");
        }

        var token = values.Count == 1 ? values[0] : null;
        if (string.IsNullOrEmpty(token))
        {
            return VerificationResult.Failure(VerificationResult.SignatureReason, $"The '{LemlistTokenParameter}' query parameter is missing.");
        }

        Span<byte> claimed = stackalloc byte[Sha256Bytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(token), claimed);
        Span<byte> expected = stackalloc byte[Sha256Bytes];
        var matched = false;
        foreach (var secret in source.Secrets)
        {
            SHA256.HashData(Encoding.UTF8.GetBytes(secret ?? string.Empty), expected);
            matched |= CryptographicOperations.FixedTimeEquals(expected, claimed);
        }

        return matched
            ? VerificationResult.Success
            : VerificationResult.Failure(VerificationResult.SignatureReason, $"The '{LemlistTokenParameter}' query parameter does not match any secret of source '{sourceName}'.");
    }

    // Standard Webhooks: v1 = Base64(HMAC-SHA256(base64-decoded whsec_ secret, "{id}.{timestamp}.{body}")),
    // timestamp in Unix seconds; webhook-signature is a space-delimited list, other versions ignored.
    // https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md#signature-scheme
    // Svix sends the same signature under svix-id, svix-timestamp and svix-signature, and its own
    // verifiers accept either family; so do we, with the same rules, one family per delivery.
    private VerificationResult VerifyStandardWebhooks(string sourceName, WebhookSourceOptions source, HttpRequest request, ReadOnlySpan<byte> body)
    {
        var headers = StandardWebhooksHeaders.Choose(request, StandardFamily, SvixFamily);
        if (SingleHeader(request, headers.Id, out var id) is { } idProblem)
        {
            return VerificationResult.Failure(VerificationResult.SignatureReason, idProblem);
        }

        if (SingleHeader(request, headers.Timestamp, out var timestamp) is { } timestampProblem)
        {
            return VerificationResult.Failure(VerificationResult.TimestampReason, timestampProblem);
        }

        if (SingleHeader(request, headers.Signature, out var signatureList) is { } signatureProblem)
        {
            return VerificationResult.Failure(VerificationResult.SignatureReason, signatureProblem);
        }

        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var sentSeconds))
        {
            return VerificationResult.Failure(VerificationResult.TimestampReason, $"{headers.Timestamp} must be a Unix time in seconds (digits only).");
        }

        var tolerance = _options.CurrentValue.TimestampTolerance;
        var skewSeconds = _time.GetUtcNow().ToUnixTimeSeconds() - sentSeconds;
        if (OutsideWindow(headers.Timestamp, skewSeconds, Math.Abs(skewSeconds) > tolerance.TotalSeconds, tolerance) is { } window)
        {
            return window;
        }

        var claimed = new List<byte[]>();
        var v1Entries = 0;
        foreach (var entry in signatureList.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!entry.StartsWith("v1,", StringComparison.Ordinal))
            {
                continue;
            }

            v1Entries++;
            var decoded = new byte[Sha256Bytes];
            if (Convert.TryFromBase64String(entry[3..], decoded, out var written) && written == Sha256Bytes)
            {
                claimed.Add(decoded);
            }
        }

        if (v1Entries == 0)
        {
            return VerificationResult.Failure(VerificationResult.SignatureReason, $"{headers.Signature} holds no v1 signature (other versions are ignored).");
        }

        var prefix = Encoding.UTF8.GetBytes($"{id}.{timestamp}.");
        Span<byte> computed = stackalloc byte[Sha256Bytes];
        var matched = false;
        foreach (var secret in source.Secrets)
        {
            if (WebhookSecrets.TryDecodeStandardWebhooksSecret(secret) is not { } key)
            {
                continue; // options validation refuses such a secret at start-up
            }

            using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
            hmac.AppendData(prefix);
            hmac.AppendData(body);
            hmac.GetHashAndReset(computed);
            foreach (var signature in claimed)
            {
                matched |= CryptographicOperations.FixedTimeEquals(computed, signature);
            }
        }

        return matched
            ? VerificationResult.Success
            : VerificationResult.Failure(VerificationResult.SignatureReason, $"No v1 signature in {headers.Signature} matches a secret of source '{sourceName}' for this {headers.Id}, timestamp and body.");
    }

    // A timestamp more than the tolerance away from now, in either direction: too old is a replay,
    // too new is a clock or a forgery; both are refused.
    private static VerificationResult? OutsideWindow(string header, long skewSeconds, bool outside, TimeSpan tolerance)
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

    // One non-empty value, or the sentence that says why not.
    private static string? SingleHeader(HttpRequest request, string name, out string value)
    {
        var values = request.Headers[name];
        value = values.Count == 1 ? values[0] ?? string.Empty : string.Empty;
        if (values.Count > 1)
        {
            return $"{name} header appears more than once.";
        }

        return StringValues.IsNullOrEmpty(values) || value.Trim().Length == 0 ? $"{name} header is missing." : null;
    }
}

/// <summary>
/// The three header names of a Standard Webhooks delivery: the standard's own (<c>webhook-*</c>) or
/// Svix's (<c>svix-*</c>). One family is read per delivery, never a mix.
/// </summary>
internal sealed record StandardWebhooksHeaders(string Id, string Timestamp, string Signature)
{
    /// <summary>
    /// The standard's family when all three of its headers are present, else Svix's when all three
    /// of those are; otherwise the family the sender started to use (the standard's when it sent
    /// neither), so the 401 names the header that is missing from it.
    /// </summary>
    public static StandardWebhooksHeaders Choose(HttpRequest request, StandardWebhooksHeaders standard, StandardWebhooksHeaders svix)
    {
        if (standard.AllPresent(request))
        {
            return standard;
        }

        if (svix.AllPresent(request))
        {
            return svix;
        }

        return !standard.AnyPresent(request) && svix.AnyPresent(request) ? svix : standard;
    }

    private bool AllPresent(HttpRequest request) => Names.All(name => request.Headers.ContainsKey(name));

    private bool AnyPresent(HttpRequest request) => Names.Any(name => request.Headers.ContainsKey(name));

    private string[] Names => [Id, Timestamp, Signature];
}

/// <summary>Durations in words for error details.</summary>
internal static class Durations
{
    private static readonly (long Size, string Unit)[] Units = [(86_400, "day"), (3_600, "hour"), (60, "minute"), (1, "second")];

    /// <summary>"7 minutes 12 seconds", "3 days 2 hours", "1 second": the two largest non-zero units.</summary>
    public static string Describe(long seconds)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(seconds);
        var parts = new List<string>(2);
        var rest = seconds;
        foreach (var (size, unit) in Units)
        {
            var count = rest / size;
            rest %= size;
            if (count > 0)
            {
                parts.Add(count == 1 ? $"1 {unit}" : $"{count.ToString(CultureInfo.InvariantCulture)} {unit}s");
            }
            else if (parts.Count > 0)
            {
                break; // "3 days 12 seconds" would read as more precise than it is useful
            }

            if (parts.Count == 2)
            {
                break;
            }
        }

        return parts.Count == 0 ? "0 seconds" : string.Join(' ', parts);
    }
}
