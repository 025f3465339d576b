using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using SalesAuto.Core.Webhooks;
using static SalesAuto.Core.Tests.Webhooks.WebhookTestSupport;

namespace SalesAuto.Core.Tests.Webhooks;

/// <summary>
/// Standard Webhooks v1, signed here from the spec and never by production code:
/// Base64(HMAC-SHA256(Base64-decoded part of whsec_..., "{webhook-id}.{webhook-timestamp}.{body}")),
/// timestamp in Unix seconds, a space-delimited signature list
/// (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md#signature-scheme).
/// Every test runs with the standard's headers (<c>webhook-*</c>) and with Svix's (<c>svix-*</c>): same rules.
/// </summary>
public abstract class StandardWebhooksVerificationTests
{
    // 24 random bytes, as the spec asks of a secret, and another for rotation.
    private const string Secret = "whsec_C2FsZXNhdXRvLXN0YW5kYXJkLXdlYmhvb2tz";
    private const string OtherSecret = "whsec_b3RoZXItc2VjcmV0LWZvci1yb3RhdGlvbg==";
    private const string MessageId = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W";
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"id":"evt_1","type":"email.opened","occurredAt":"2026-11-23T10:00:00Z","campaignId":"cam_1","email":"ann@example.com"}""");

    private static readonly WebhookSourceOptions Source = new() { Kind = WebhookSourceKind.StandardWebhooks, Secrets = [Secret] };

    /// <summary>The header family under test: <c>webhook</c> or <c>svix</c>.</summary>
    protected abstract string Family { get; }

    private string IdHeader => $"{Family}-id";

    private string TimestampHeader => $"{Family}-timestamp";

    private string SignatureHeader => $"{Family}-signature";

    [Fact]
    public void Verify_Succeeds_OnThePublishedTestVector()
    {
        // The vector the Standard Webhooks reference libraries test against.
        var verifier = Verifier(out var clock, out _);
        clock.Now = DateTimeOffset.FromUnixTimeSeconds(1614265330);
        var source = new WebhookSourceOptions { Kind = WebhookSourceKind.StandardWebhooks, Secrets = ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"] };
        var request = Request(path: "/api/webhooks/std");
        request.Headers[IdHeader] = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        request.Headers[TimestampHeader] = "1614265330";
        request.Headers[SignatureHeader] = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

        Assert.True(verifier.Verify("std", source, request, """{"test": 2432232314}"""u8).Succeeded);
    }

    [Fact]
    public void Verify_Succeeds_WhenSignatureIsValid()
    {
        var verifier = Verifier(out _, out _);
        var request = Signed(Request(), MessageId, Seconds(Now), Body, Secret);

        Assert.True(verifier.Verify("std", Source, request, Body).Succeeded);
    }

    [Fact]
    public void Verify_UsesTheDecodedSecret_NotTheWhsecText()
    {
        var verifier = Verifier(out _, out _);
        var request = Request();
        request.Headers[IdHeader] = MessageId;
        request.Headers[TimestampHeader] = Seconds(Now);
        // A sender that (wrongly) keys the HMAC with the secret's text instead of its bytes.
        var wrong = HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes($"{MessageId}.{Seconds(Now)}.").Concat(Body).ToArray());
        request.Headers[SignatureHeader] = "v1," + Convert.ToBase64String(wrong);

        Assert.Equal(VerificationResult.SignatureReason, verifier.Verify("std", Source, request, Body).Reason);
    }

    [Fact]
    public void Verify_FailsWithSignature_WhenSignedWithAnotherSecret()
    {
        var verifier = Verifier(out _, out _);
        var request = Signed(Request(), MessageId, Seconds(Now), Body, OtherSecret);

        var result = verifier.Verify("std", Source, request, Body);

        Assert.Equal(VerificationResult.SignatureReason, result.Reason);
        Assert.Equal($"No v1 signature in {SignatureHeader} matches a secret of source 'std' for this {IdHeader}, timestamp and body.", result.Detail);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void Verify_Succeeds_WhenAnyOfTwoSecretsSigned(int signer)
    {
        var verifier = Verifier(out _, out _);
        var rotating = new WebhookSourceOptions { Kind = WebhookSourceKind.StandardWebhooks, Secrets = [OtherSecret, Secret] };
        var request = Signed(Request(), MessageId, Seconds(Now), Body, rotating.Secrets[signer]);

        Assert.True(verifier.Verify("std", rotating, request, Body).Succeeded);
    }

    [Fact]
    public void Verify_FailsWithSignature_WhenBodyWasTampered()
    {
        var verifier = Verifier(out _, out _);
        var request = Signed(Request(), MessageId, Seconds(Now), Body, Secret);
        var tampered = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Body).Replace("email.opened", "email.clicked", StringComparison.Ordinal));

        Assert.Equal(VerificationResult.SignatureReason, verifier.Verify("std", Source, request, tampered).Reason);
    }

    [Fact]
    public void Verify_FailsWithSignature_WhenIdWasChanged()
    {
        var verifier = Verifier(out _, out _);
        var request = Signed(Request(), MessageId, Seconds(Now), Body, Secret);
        request.Headers[IdHeader] = "msg_another";

        Assert.Equal(VerificationResult.SignatureReason, verifier.Verify("std", Source, request, Body).Reason);
    }

    [Fact]
    public void Verify_FailsWithSignature_WhenTimestampWasChangedInsideTheWindow()
    {
        var verifier = Verifier(out _, out _);
        var request = Signed(Request(), MessageId, Seconds(Now), Body, Secret);
        request.Headers[TimestampHeader] = Seconds(Now.AddSeconds(-1));

        Assert.Equal(VerificationResult.SignatureReason, verifier.Verify("std", Source, request, Body).Reason);
    }

    [Fact]
    public void Verify_Succeeds_WhenOnlyOneOfSeveralV1SignaturesMatches()
    {
        var verifier = Verifier(out _, out _);
        var request = Signed(Request(), MessageId, Seconds(Now), Body, Secret);
        var good = request.Headers[SignatureHeader].ToString();
        var stale = SignatureOf(MessageId, Seconds(Now), Body, OtherSecret);
        request.Headers[SignatureHeader] = $"v1,{stale} v1a,aGVsbG8= v1,not-base64! {good} v1,{Convert.ToBase64String(new byte[32])}";

        Assert.True(verifier.Verify("std", Source, request, Body).Succeeded);
    }

    [Fact]
    public void Verify_FailsWithSignature_WhenOnlyOtherVersionsAreListed()
    {
        var verifier = Verifier(out _, out _);
        var request = Signed(Request(), MessageId, Seconds(Now), Body, Secret);
        var good = SignatureOf(MessageId, Seconds(Now), Body, Secret);
        request.Headers[SignatureHeader] = $"v2,{good} v1a,{good}";

        var result = verifier.Verify("std", Source, request, Body);

        Assert.Equal(VerificationResult.SignatureReason, result.Reason);
        Assert.Equal($"{SignatureHeader} holds no v1 signature (other versions are ignored).", result.Detail);
    }

    [Theory]
    [InlineData("id", "signature")]
    [InlineData("timestamp", "timestamp")]
    [InlineData("signature", "signature")]
    public void Verify_Fails_WhenAHeaderIsMissing(string part, string reason)
    {
        var header = $"{Family}-{part}";
        var verifier = Verifier(out _, out _);
        var request = Signed(Request(), MessageId, Seconds(Now), Body, Secret);
        request.Headers.Remove(header);

        var result = verifier.Verify("std", Source, request, Body);

        Assert.Equal(reason, result.Reason);
        Assert.Equal($"{header} header is missing.", result.Detail);
    }

    [Theory]
    [InlineData("1795428000000", "{0} is ")] // milliseconds: far in the future
    [InlineData("2026-11-23T10:00:00Z", "{0} must be a Unix time in seconds (digits only).")]
    [InlineData("-5", "{0} must be a Unix time in seconds (digits only).")]
    public void Verify_FailsWithTimestamp_WhenTimestampIsNotUnixSecondsNow(string timestamp, string detailStart)
    {
        var verifier = Verifier(out _, out _);
        var request = Signed(Request(), MessageId, timestamp, Body, Secret);

        var result = verifier.Verify("std", Source, request, Body);

        Assert.Equal(VerificationResult.TimestampReason, result.Reason);
        Assert.StartsWith(string.Format(CultureInfo.InvariantCulture, detailStart, TimestampHeader), result.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-301, "{0} is 5 minutes 1 second in the past; the tolerance is 5 minutes.")]
    [InlineData(301, "{0} is 5 minutes 1 second in the future; the tolerance is 5 minutes.")]
    [InlineData(-7200, "{0} is 2 hours in the past; the tolerance is 5 minutes.")]
    public void Verify_FailsWithTimestamp_WhenOutsideTheWindow(int offsetSeconds, string detail)
    {
        var verifier = Verifier(out _, out _);
        var request = Signed(Request(), MessageId, Seconds(Now.AddSeconds(offsetSeconds)), Body, Secret);

        var result = verifier.Verify("std", Source, request, Body);

        Assert.Equal(VerificationResult.TimestampReason, result.Reason);
        Assert.Equal(string.Format(CultureInfo.InvariantCulture, detail, TimestampHeader), result.Detail);
    }

    [Theory]
    [InlineData(-300)]
    [InlineData(300)]
    public void Verify_Succeeds_WhenTimestampIsAtTheEdgeOfTheWindow(int offsetSeconds)
    {
        var verifier = Verifier(out _, out _);
        var request = Signed(Request(), MessageId, Seconds(Now.AddSeconds(offsetSeconds)), Body, Secret);

        Assert.True(verifier.Verify("std", Source, request, Body).Succeeded);
    }

    protected static string Seconds(DateTimeOffset at) => at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);

    protected static string SignatureOf(string id, string timestamp, byte[] body, string secret)
    {
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        return Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{id}.{timestamp}.").Concat(body).ToArray()));
    }

    private HttpRequest Signed(HttpRequest request, string id, string timestamp, byte[] body, string secret)
    {
        request.Headers[IdHeader] = id;
        request.Headers[TimestampHeader] = timestamp;
        request.Headers[SignatureHeader] = "v1," + SignatureOf(id, timestamp, body, secret);
        return request;
    }
}

/// <summary>Standard Webhooks with the standard's own header names.</summary>
public sealed class StandardWebhooksHeaderVerificationTests : StandardWebhooksVerificationTests
{
    protected override string Family => "webhook";
}

/// <summary>Standard Webhooks with Svix's header names, and deliveries that carry both families.</summary>
public sealed class SvixHeaderVerificationTests : StandardWebhooksVerificationTests
{
    private const string Secret = "whsec_C2FsZXNhdXRvLXN0YW5kYXJkLXdlYmhvb2tz";
    private static readonly byte[] Body = """{"id":"evt_2","type":"email.sent"}"""u8.ToArray();
    private static readonly WebhookSourceOptions Source = new() { Kind = WebhookSourceKind.StandardWebhooks, Secrets = [Secret] };

    protected override string Family => "svix";

    [Fact]
    public void Verify_Succeeds_WhenBothFamiliesCarryTheSameSignature()
    {
        var verifier = Verifier(out _, out _);
        var request = Request();
        SignAs(request, "webhook", "msg_1", Secret);
        SignAs(request, "svix", "msg_1", Secret);

        Assert.True(verifier.Verify("std", Source, request, Body).Succeeded);
    }

    [Fact]
    public void Verify_ReadsTheSvixFamily_WhenTheStandardFamilyIsIncomplete()
    {
        var verifier = Verifier(out _, out _);
        var request = Request();
        SignAs(request, "svix", "msg_1", Secret);
        request.Headers["webhook-id"] = "msg_unrelated";

        Assert.True(verifier.Verify("std", Source, request, Body).Succeeded);
    }

    [Fact]
    public void Verify_FailsNamingTheMissingHeader_WhenOneDeliveryMixesTheFamilies()
    {
        var verifier = Verifier(out _, out _);
        var request = Request();
        SignAs(request, "svix", "msg_1", Secret);
        request.Headers.Remove("svix-id");
        request.Headers["webhook-id"] = "msg_1"; // the signed id, but under the other family's name

        var result = verifier.Verify("std", Source, request, Body);

        Assert.Equal(VerificationResult.TimestampReason, result.Reason);
        Assert.Equal("webhook-timestamp header is missing.", result.Detail);
    }

    [Fact]
    public void Verify_NamesTheStandardHeaders_WhenNeitherFamilyIsPresent()
    {
        var verifier = Verifier(out _, out _);

        var result = verifier.Verify("std", Source, Request(), Body);

        Assert.Equal("webhook-id header is missing.", result.Detail);
    }

    private static void SignAs(HttpRequest request, string family, string id, string secret)
    {
        var timestamp = Seconds(Now);
        request.Headers[$"{family}-id"] = id;
        request.Headers[$"{family}-timestamp"] = timestamp;
        request.Headers[$"{family}-signature"] = "v1," + SignatureOf(id, timestamp, Body, secret);
    }
}
