using SalesAuto.Core.Webhooks;
using static SalesAuto.Core.Tests.Webhooks.WebhookTestSupport;

namespace SalesAuto.Core.Tests.Webhooks;

/// <summary>Lemlist signs nothing: the webhook URL carries a shared token in its query (<c>?token=</c>).</summary>
public sealed class LemlistVerificationTests
{
    private const string Token = "lemlist-token-7f3a9c";
    private static readonly byte[] Body = """{"_id":"act_1","type":"emailsOpened"}"""u8.ToArray();

    private static readonly WebhookSourceOptions Source = new() { Kind = WebhookSourceKind.Lemlist, Secrets = [Token] };

    [Fact]
    public void Verify_Succeeds_WhenTokenMatches()
    {
        var verifier = Verifier(out _, out _);

        Assert.True(verifier.Verify("lemlist", Source, Request(path: "/api/webhooks/lemlist", query: $"?token={Token}"), Body).Succeeded);
    }

    [Fact]
    public void Verify_Succeeds_WhenTokenIsTheSecondOfTwoSecrets()
    {
        var verifier = Verifier(out _, out _);
        var rotating = new WebhookSourceOptions { Kind = WebhookSourceKind.Lemlist, Secrets = ["lemlist-token-old-11", Token] };

        Assert.True(verifier.Verify("lemlist", rotating, Request(query: $"?token={Token}"), Body).Succeeded);
    }

    [Fact]
    public void Verify_ComparesTheDecodedToken_WhenTokenIsUrlEncoded()
    {
        var verifier = Verifier(out _, out _);
        var source = new WebhookSourceOptions { Kind = WebhookSourceKind.Lemlist, Secrets = ["a+b/c=d&e f"] };

        Assert.True(verifier.Verify("lemlist", source, Request(query: "?other=1&token=a%2Bb%2Fc%3Dd%26e%20f"), Body).Succeeded);
    }

    [Theory]
    [InlineData("?token=lemlist-token-7f3a9")] // a prefix
    [InlineData("?token=lemlist-token-7f3a9c0")] // longer
    [InlineData("?token=LEMLIST-TOKEN-7F3A9C")] // case matters
    [InlineData("?token=another-token-entirely")]
    public void Verify_FailsWithSignature_WhenTokenIsWrong(string query)
    {
        var verifier = Verifier(out _, out _);

        var result = verifier.Verify("lemlist", Source, Request(query: query), Body);

        Assert.Equal(VerificationResult.SignatureReason, result.Reason);
        Assert.Equal("The 'token' query parameter does not match any secret of source 'lemlist'.", result.Detail);
    }

    [Theory]
    [InlineData("")]
    [InlineData("?tok=lemlist-token-7f3a9c")]
    [InlineData("?token=")]
    public void Verify_FailsWithSignature_WhenTokenIsMissing(string query)
    {
        var verifier = Verifier(out _, out _);

        var result = verifier.Verify("lemlist", Source, Request(query: query), Body);

        Assert.Equal(VerificationResult.SignatureReason, result.Reason);
        Assert.Equal("The 'token' query parameter is missing.", result.Detail);
    }

    [Fact]
    public void Verify_FailsWithSignature_WhenTokenIsRepeated()
    {
        var verifier = Verifier(out _, out _);

        var result = verifier.Verify("lemlist", Source, Request(query: $"?token=wrong&token={Token}"), Body);

        Assert.Equal(VerificationResult.SignatureReason, result.Reason);
        Assert.Equal("The 'token' query parameter appears more than once.", result.Detail);
    }

    [Fact]
    public void Verify_IgnoresHeadersAndTime_WhenLemlist()
    {
        var verifier = Verifier(out var clock, out _);
        clock.Now = Now.AddYears(3);
        var request = Request(query: $"?token={Token}");
        request.Headers["webhook-signature"] = "v1,garbage";

        Assert.True(verifier.Verify("lemlist", Source, request, Body).Succeeded);
    }
}
