using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using SalesAuto.Core.Webhooks;
using static SalesAuto.Core.Tests.Webhooks.WebhookTestSupport;

namespace SalesAuto.Core.Tests.Webhooks;

/// <summary>
/// HubSpot signature v3, signed here from HubSpot's own description and never by production code:
/// Base64(HMAC-SHA256(client secret, UTF-8(method + URI + body + timestamp))), timestamp in Unix ms,
/// and the URI with %3A %2F %3F %40 %21 %24 %27 %28 %29 %2A %2C %3B decoded
/// (https://developers.hubspot.com/docs/apps/legacy-apps/authentication/validating-requests#validate-the-v3-request-signature).
/// </summary>
public sealed class HubSpotVerificationTests
{
    private const string Secret = "hs-client-secret-0000-1111";
    private const string OtherSecret = "hs-client-secret-2222-3333";
    private static readonly Uri PublicBase = new("https://salesauto.example.com");
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""[{"eventId":1,"subscriptionId":2,"portalId":3,"occurredAt":1763892000123,"subscriptionType":"contact.creation","objectId":901}]""");

    private static readonly WebhookSourceOptions Source = new() { Kind = WebhookSourceKind.HubSpot, Secrets = [Secret] };

    [Fact]
    public void Verify_Succeeds_WhenSignatureIsValid()
    {
        var verifier = Verifier(out _, out _, PublicBase);
        var request = Signed(Request(), Secret, "https://salesauto.example.com/api/webhooks/hs", Body);

        var result = verifier.Verify("hs", Source, request, Body);

        Assert.True(result.Succeeded, result.ToString());
        Assert.Null(result.Reason);
        Assert.Null(result.Detail);
    }

    [Fact]
    public void Verify_FailsWithSignature_WhenSignedWithAnotherSecret()
    {
        var verifier = Verifier(out _, out _, PublicBase);
        var request = Signed(Request(), OtherSecret, "https://salesauto.example.com/api/webhooks/hs", Body);

        var result = verifier.Verify("hs", Source, request, Body);

        Assert.Equal(VerificationResult.SignatureReason, result.Reason);
        Assert.Equal(
            "X-HubSpot-Signature-v3 does not match: no secret of source 'hs' signs POST https://salesauto.example.com/api/webhooks/hs with this body and timestamp.",
            result.Detail);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void Verify_Succeeds_WhenAnyOfTwoSecretsSigned(int signer)
    {
        var verifier = Verifier(out _, out _, PublicBase);
        var rotating = new WebhookSourceOptions { Kind = WebhookSourceKind.HubSpot, Secrets = [OtherSecret, Secret] };
        var request = Signed(Request(), rotating.Secrets[signer], "https://salesauto.example.com/api/webhooks/hs", Body);

        Assert.True(verifier.Verify("hs", rotating, request, Body).Succeeded);
    }

    [Fact]
    public void Verify_FailsWithSignature_WhenBodyWasTampered()
    {
        var verifier = Verifier(out _, out _, PublicBase);
        var request = Signed(Request(), Secret, "https://salesauto.example.com/api/webhooks/hs", Body);
        var tampered = Body.ToArray();
        tampered[^3] = (byte)'2'; // objectId 901 -> 921

        Assert.Equal(VerificationResult.SignatureReason, verifier.Verify("hs", Source, request, tampered).Reason);
    }

    [Theory]
    [InlineData("POST", "https://salesauto.example.com/api/webhooks/other")] // another path
    [InlineData("POST", "https://salesauto.example.com/api/webhooks/hs?x=1")] // another query
    [InlineData("POST", "http://salesauto.example.com/api/webhooks/hs")] // another scheme
    [InlineData("POST", "https://evil.example.com/api/webhooks/hs")] // another host
    [InlineData("PUT", "https://salesauto.example.com/api/webhooks/hs")] // another method
    public void Verify_FailsWithSignature_WhenSignedForAnotherMethodOrUri(string signedMethod, string signedUri)
    {
        var verifier = Verifier(out _, out _, PublicBase);
        var request = Signed(Request(), Secret, signedUri, Body, signedMethod: signedMethod);

        Assert.Equal(VerificationResult.SignatureReason, verifier.Verify("hs", Source, request, Body).Reason);
    }

    [Fact]
    public void Verify_FailsWithSignature_WhenSignatureHeaderIsMissing()
    {
        var verifier = Verifier(out _, out _, PublicBase);
        var request = Signed(Request(), Secret, "https://salesauto.example.com/api/webhooks/hs", Body);
        request.Headers.Remove("X-HubSpot-Signature-v3");

        var result = verifier.Verify("hs", Source, request, Body);

        Assert.Equal(VerificationResult.SignatureReason, result.Reason);
        Assert.Equal("X-HubSpot-Signature-v3 header is missing.", result.Detail);
    }

    [Fact]
    public void Verify_FailsWithSignature_WhenSignatureIsNotBase64OfAnHmac()
    {
        var verifier = Verifier(out _, out _, PublicBase);
        var request = Signed(Request(), Secret, "https://salesauto.example.com/api/webhooks/hs", Body);
        request.Headers["X-HubSpot-Signature-v3"] = "not base64!";

        var result = verifier.Verify("hs", Source, request, Body);

        Assert.Equal(VerificationResult.SignatureReason, result.Reason);
        Assert.Equal("X-HubSpot-Signature-v3 is not the Base64 of a 32-byte HMAC-SHA256.", result.Detail);
    }

    [Fact]
    public void Verify_FailsWithSignature_WhenSignatureHeaderIsRepeated()
    {
        var verifier = Verifier(out _, out _, PublicBase);
        var request = Signed(Request(), Secret, "https://salesauto.example.com/api/webhooks/hs", Body);
        request.Headers.Append("X-HubSpot-Signature-v3", request.Headers["X-HubSpot-Signature-v3"].ToString());

        var result = verifier.Verify("hs", Source, request, Body);

        Assert.Equal(VerificationResult.SignatureReason, result.Reason);
        Assert.Equal("X-HubSpot-Signature-v3 header appears more than once.", result.Detail);
    }

    [Fact]
    public void Verify_FailsWithTimestamp_WhenTimestampHeaderIsMissing()
    {
        var verifier = Verifier(out _, out _, PublicBase);
        var request = Signed(Request(), Secret, "https://salesauto.example.com/api/webhooks/hs", Body);
        request.Headers.Remove("X-HubSpot-Request-Timestamp");

        var result = verifier.Verify("hs", Source, request, Body);

        Assert.Equal(VerificationResult.TimestampReason, result.Reason);
        Assert.Equal("X-HubSpot-Request-Timestamp header is missing.", result.Detail);
    }

    [Theory]
    [InlineData("yesterday")]
    [InlineData("-1763892000000")]
    [InlineData("1763892000000.5")]
    [InlineData("99999999999999999999999")]
    public void Verify_FailsWithTimestamp_WhenTimestampIsNotUnixMilliseconds(string timestamp)
    {
        var verifier = Verifier(out _, out _, PublicBase);
        var request = Signed(Request(), Secret, "https://salesauto.example.com/api/webhooks/hs", Body, timestamp: timestamp);

        var result = verifier.Verify("hs", Source, request, Body);

        Assert.Equal(VerificationResult.TimestampReason, result.Reason);
        Assert.Equal("X-HubSpot-Request-Timestamp must be a Unix time in milliseconds (digits only).", result.Detail);
    }

    [Fact]
    public void Verify_FailsWithTimestamp_WhenSignedSevenMinutesAgo()
    {
        var verifier = Verifier(out _, out _, PublicBase);
        var request = Signed(Request(), Secret, "https://salesauto.example.com/api/webhooks/hs", Body, timestamp: Ms(Now.AddMinutes(-7)));

        var result = verifier.Verify("hs", Source, request, Body);

        Assert.Equal(VerificationResult.TimestampReason, result.Reason);
        Assert.Equal("X-HubSpot-Request-Timestamp is 7 minutes in the past; the tolerance is 5 minutes.", result.Detail);
    }

    [Fact]
    public void Verify_FailsWithTimestamp_WhenSignedTooFarInTheFuture()
    {
        var verifier = Verifier(out _, out _, PublicBase);
        var request = Signed(Request(), Secret, "https://salesauto.example.com/api/webhooks/hs", Body, timestamp: Ms(Now.AddMinutes(5).AddSeconds(12)));

        var result = verifier.Verify("hs", Source, request, Body);

        Assert.Equal(VerificationResult.TimestampReason, result.Reason);
        Assert.Equal("X-HubSpot-Request-Timestamp is 5 minutes 12 seconds in the future; the tolerance is 5 minutes.", result.Detail);
    }

    [Theory]
    [InlineData(-300_001)]
    [InlineData(300_001)]
    public void Verify_FailsWithTimestamp_WhenOneMillisecondOutsideTheWindow(long offsetMs)
    {
        var verifier = Verifier(out _, out _, PublicBase);
        var request = Signed(Request(), Secret, "https://salesauto.example.com/api/webhooks/hs", Body, timestamp: Ms(Now.AddMilliseconds(offsetMs)));

        Assert.Equal(VerificationResult.TimestampReason, verifier.Verify("hs", Source, request, Body).Reason);
    }

    [Theory]
    [InlineData(-300_000)]
    [InlineData(-299_999)]
    [InlineData(0)]
    [InlineData(299_999)]
    [InlineData(300_000)]
    public void Verify_Succeeds_WhenTimestampIsJustInsideTheWindow(long offsetMs)
    {
        var verifier = Verifier(out _, out _, PublicBase);
        var request = Signed(Request(), Secret, "https://salesauto.example.com/api/webhooks/hs", Body, timestamp: Ms(Now.AddMilliseconds(offsetMs)));

        Assert.True(verifier.Verify("hs", Source, request, Body).Succeeded);
    }

    [Fact]
    public void Verify_AppliesTheConfiguredTolerance_WhenSettingsChange()
    {
        var verifier = Verifier(out _, out var options, PublicBase);
        var request = Signed(Request(), Secret, "https://salesauto.example.com/api/webhooks/hs", Body, timestamp: Ms(Now.AddMinutes(-7)));
        options.CurrentValue = new WebhookOptions { PublicBaseUrl = PublicBase, TimestampTolerance = TimeSpan.FromMinutes(10) };

        Assert.True(verifier.Verify("hs", Source, request, Body).Succeeded);
    }

    [Fact]
    public void Verify_SignsPublicBaseUrl_OverForwardedHeadersAndRequestHost()
    {
        var verifier = Verifier(out _, out _, new Uri("https://Gateway.Example.com:8443/sales/"));
        var request = Request(host: "10.0.0.7:8080", query: "?tenant=42");
        request.Headers["X-Forwarded-Proto"] = "http";
        request.Headers["X-Forwarded-Host"] = "proxy.internal";
        Signed(request, Secret, "https://Gateway.Example.com:8443/sales/api/webhooks/hs?tenant=42", Body);

        Assert.True(verifier.Verify("hs", Source, request, Body).Succeeded);
    }

    [Fact]
    public void Verify_SignsForwardedHeadersFirstValues_WhenNoPublicBaseUrl()
    {
        var verifier = Verifier(out _, out _);
        var request = Request(scheme: "http", host: "10.0.0.7:8080", query: "?tenant=42");
        request.Headers["X-Forwarded-Proto"] = "https, http";
        request.Headers["X-Forwarded-Host"] = "hooks.example.com, proxy.internal";
        Signed(request, Secret, "https://hooks.example.com/api/webhooks/hs?tenant=42", Body);

        Assert.True(verifier.Verify("hs", Source, request, Body).Succeeded);
    }

    [Fact]
    public void Verify_SignsRequestSchemeAndHost_WhenNoPublicBaseUrlNorForwardedHeaders()
    {
        var verifier = Verifier(out _, out _);
        var request = Signed(Request(scheme: "https", host: "hooks.example.com"), Secret, "https://hooks.example.com/api/webhooks/hs", Body);

        Assert.True(verifier.Verify("hs", Source, request, Body).Succeeded);
    }

    [Fact]
    public void Verify_FailsWithSignature_WhenSignedForPublicUrlButNeitherSettingNorHeadersSayIt()
    {
        var verifier = Verifier(out _, out _);
        var request = Signed(Request(scheme: "http", host: "10.0.0.7:8080"), Secret, "https://hooks.example.com/api/webhooks/hs", Body);

        var result = verifier.Verify("hs", Source, request, Body);

        Assert.Equal(VerificationResult.SignatureReason, result.Reason);
        Assert.Contains("POST http://10.0.0.7:8080/api/webhooks/hs", result.Detail, StringComparison.Ordinal);
    }

    [Theory]
    // HubSpot's table: these twelve are decoded before signing...
    [InlineData("?u=https%3A%2F%2Fa.example%2Fb%3Fc&m=ann%40example.com", "?u=https://a.example/b?c&m=ann@example.com")]
    [InlineData("?s=%21%24%27%28%29%2A%2C%3B", "?s=!$'()*,;")]
    [InlineData("?s=%21%24%27%28%29%2a%2c%3b%3a%2f%3f", "?s=!$'()*,;:/?")]
    // ...and nothing else: a space, '+', '=', '&', '#' and '%' itself stay encoded.
    [InlineData("?q=a%20b%2Bc%3Dd%26e%23f%25g", "?q=a%20b%2Bc%3Dd%26e%23f%25g")]
    [InlineData("?q=%253A", "?q=%253A")]
    public void Verify_DecodesOnlyHubSpotsCharacters_WhenQueryIsEncoded(string query, string signedQuery)
    {
        var verifier = Verifier(out _, out _, PublicBase);
        var request = Signed(Request(query: query), Secret, "https://salesauto.example.com/api/webhooks/hs" + signedQuery, Body);

        Assert.True(verifier.Verify("hs", Source, request, Body).Succeeded);
    }

    [Fact]
    public void Verify_SignsTheRawRequestTarget_WhenTheServerKeptIt()
    {
        var verifier = Verifier(out _, out _, PublicBase);
        // What Kestrel keeps: the target as sent, before any decoding or rewriting of Path.
        var request = Request(path: "/api/webhooks/hs", query: "?name=O'Brien");
        request.HttpContext.Features.Get<IHttpRequestFeature>()!.RawTarget = "/api/webhooks/hs?name=O%27Brien%20Jr";
        Signed(request, Secret, "https://salesauto.example.com/api/webhooks/hs?name=O'Brien%20Jr", Body);

        Assert.True(verifier.Verify("hs", Source, request, Body).Succeeded);
    }

    [Fact]
    public void Verify_SignsTheRawBodyBytes_WhenBodyIsNotAscii()
    {
        var verifier = Verifier(out _, out _, PublicBase);
        var body = Encoding.UTF8.GetBytes("""[{"propertyValue":"Yllä Åsa 日本 😀"}]""");
        var request = Signed(Request(), Secret, "https://salesauto.example.com/api/webhooks/hs", body);

        Assert.True(verifier.Verify("hs", Source, request, body).Succeeded);
    }

    private static string Ms(DateTimeOffset at) => at.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);

    // The signature as HubSpot computes it, from the documented recipe.
    private static HttpRequest Signed(HttpRequest request, string secret, string signedUri, byte[] body, string? timestamp = null, string signedMethod = "POST")
    {
        timestamp ??= Ms(Now);
        var source = Encoding.UTF8.GetBytes(signedMethod + signedUri).Concat(body).Concat(Encoding.UTF8.GetBytes(timestamp)).ToArray();
        request.Headers["X-HubSpot-Signature-v3"] = Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), source));
        request.Headers["X-HubSpot-Request-Timestamp"] = timestamp;
        return request;
    }
}
