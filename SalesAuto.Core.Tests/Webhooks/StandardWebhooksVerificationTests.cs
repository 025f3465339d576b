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
/// </summary>
public sealed class StandardWebhooksVerificationTests
{
    // 24 random bytes, as the spec asks of a secret, and another for rotation.
    private const string Secret = "whsec_C2FsZXNhdXRvLXN0YW5kYXJkLXdlYmhvb2tz";
    private const string OtherSecret = "whsec_b3RoZXItc2VjcmV0LWZvci1yb3RhdGlvbg==";
    private const string MessageId = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W";
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"id":"evt_1","type":"email.opened","occurredAt":"2026-11-23T10:00:00Z","campaignId":"cam_1","email":"ann@example.com"}""");

    private static readonly WebhookSourceOptions Source = new() { Kind = WebhookSourceKind.StandardWebhooks, Secrets = [Secret] };

    [Fact]
    public void Verify_Succeeds_OnThePublishedTestVector()
    {
        // The vector the Standard Webhooks reference libraries test against.
        var verifier = Verifier(out var clock, out _);
        clock.Now = DateTimeOffset.FromUnixTimeSeconds(1614265330);
        var source = new WebhookSourceOptions { Kind = WebhookSourceKind.StandardWebhooks, Secrets = ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"] };
        var request = Request(path: "/api/webhooks/std");
        request.Headers["webhook-id"] = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        request.Headers["webhook-timestamp"] = "1614265330";
        request.Headers["webhook-signature"] = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

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
        request.Headers["webhook-id"] = MessageId;
        request.Headers["webhook-timestamp"] = Seconds(Now);
        // A sender that (wrongly) keys the HMAC with the secret's text instead of its bytes.
        var wrong = HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes($"{MessageId}.{Seconds(Now)}.").Concat(Body).ToArray());
        request.Headers["webhook-signature"] = "v1," + Convert.ToBase64String(wrong);

        Assert.Equal(VerificationResult.SignatureReason, verifier.Verify("std", Source, request, Body).Reason);
    }

    [Fact]
    public void Verify_FailsWithSignature_WhenSignedWithAnotherSecret()
    {
        var verifier = Verifier(out _, out _);
        var request = Signed(Request(), MessageId, Seconds(Now), Body, OtherSecret);

        var result = verifier.Verify("std", Source, request, Body);

        Assert.Equal(VerificationResult.SignatureReason, result.Reason);
        Assert.Equal("No v1 signature in webhook-signature matches a secret of source 'std' for this webhook-id, timestamp and body.", result.Detail);
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
        request.Headers["webhook-id"] = "msg_another";

        Assert.Equal(VerificationResult.SignatureReason, verifier.Verify("std", Source, request, Body).Reason);
    }

    [Fact]
    public void Verify_FailsWithSignature_WhenTimestampWasChangedInsideTheWindow()
    {
        var verifier = Verifier(out _, out _);
        var request = Signed(Request(), MessageId, Seconds(Now), Body, Secret);
        request.Headers["webhook-timestamp"] = Seconds(Now.AddSeconds(-1));

        Assert.Equal(VerificationResult.SignatureReason, verifier.Verify("std", Source, request, Body).Reason);
    }

    [Fact]
    public void Verify_Succeeds_WhenOnlyOneOfSeveralV1SignaturesMatches()
    {
        var verifier = Verifier(out _, out _);
        var request = Signed(Request(), MessageId, Seconds(Now), Body, Secret);
        var good = request.Headers["webhook-signature"].ToString();
        var stale = SignatureOf(MessageId, Seconds(Now), Body, OtherSecret);
        request.Headers["webhook-signature"] = $"v1,{stale} v1a,aGVsbG8= v1,not-base64! {good} v1,{Convert.ToBase64String(new byte[32])}";

        Assert.True(verifier.Verify("std", Source, request, Body).Succeeded);
    }

    [Fact]
    public void Verify_FailsWithSignature_WhenOnlyOtherVersionsAreListed()
    {
        var verifier = Verifier(out _, out _);
        var request = Signed(Request(), MessageId, Seconds(Now), Body, Secret);
        var good = SignatureOf(MessageId, Seconds(Now), Body, Secret);
        request.Headers["webhook-signature"] = $"v2,{good} v1a,{good}";

        var result = verifier.Verify("std", Source, request, Body);

        Assert.Equal(VerificationResult.SignatureReason, result.Reason);
        Assert.Equal("webhook-signature holds no v1 signature (other versions are ignored).", result.Detail);
    }

    [Theory]
    [InlineData("webhook-id", "signature", "webhook-id header is missing.")]
    [InlineData("webhook-timestamp", "timestamp", "webhook-timestamp header is missing.")]
    [InlineData("webhook-signature", "signature", "webhook-signature header is missing.")]
    public void Verify_Fails_WhenAHeaderIsMissing(string header, string reason, string detail)
    {
        var verifier = Verifier(out _, out _);
        var request = Signed(Request(), MessageId, Seconds(Now), Body, Secret);
        request.Headers.Remove(header);

        var result = verifier.Verify("std", Source, request, Body);

        Assert.Equal(reason, result.Reason);
        Assert.Equal(detail, result.Detail);
    }

    [Theory]
    [InlineData("1795428000000", "webhook-timestamp is ")] // milliseconds: far in the future
    [InlineData("2026-11-23T10:00:00Z", "webhook-timestamp must be a Unix time in seconds (digits only).")]
    [InlineData("-5", "webhook-timestamp must be a Unix time in seconds (digits only).")]
    public void Verify_FailsWithTimestamp_WhenTimestampIsNotUnixSecondsNow(string timestamp, string detailStart)
    {
        var verifier = Verifier(out _, out _);
        var request = Signed(Request(), MessageId, timestamp, Body, Secret);

        var result = verifier.Verify("std", Source, request, Body);

        Assert.Equal(VerificationResult.TimestampReason, result.Reason);
        Assert.StartsWith(detailStart, result.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-301, "webhook-timestamp is 5 minutes 1 second in the past; the tolerance is 5 minutes.")]
    [InlineData(301, "webhook-timestamp is 5 minutes 1 second in the future; the tolerance is 5 minutes.")]
    [InlineData(-7200, "webhook-timestamp is 2 hours in the past; the tolerance is 5 minutes.")]
    public void Verify_FailsWithTimestamp_WhenOutsideTheWindow(int offsetSeconds, string detail)
    {
        var verifier = Verifier(out _, out _);
        var request = Signed(Request(), MessageId, Seconds(Now.AddSeconds(offsetSeconds)), Body, Secret);

        var result = verifier.Verify("std", Source, request, Body);

        Assert.Equal(VerificationResult.TimestampReason, result.Reason);
        Assert.Equal(detail, result.Detail);
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

    private static string Seconds(DateTimeOffset at) => at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);

    private static string SignatureOf(string id, string timestamp, byte[] body, string secret)
    {
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        return Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{id}.{timestamp}.").Concat(body).ToArray()));
    }

    private static HttpRequest Signed(HttpRequest request, string id, string timestamp, byte[] body, string secret)
    {
        request.Headers["webhook-id"] = id;
        request.Headers["webhook-timestamp"] = timestamp;
        request.Headers["webhook-signature"] = "v1," + SignatureOf(id, timestamp, body, secret);
        return request;
    }
}
