using System.Net;
using System.Net.Http.Headers;
using SalesAuto.Core.Console;
using SalesAuto.Core.Tests.Infrastructure;
using static SalesAuto.Core.Tests.DeadLetters.DeadLetterTestData;

namespace SalesAuto.Core.Tests.Console;

/// <summary>The console's page and files over plain HTTP: anonymous, typed, cached by ETag, locked down by headers; nothing else served.</summary>
public sealed class ConsoleHttpTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

    private RunningServer Server => fixture.Server;

    [Theory]
    [InlineData("/api/console", "text/html")]
    [InlineData("/api/console/app.js", "text/javascript")]
    [InlineData("/api/console/api.js", "text/javascript")]
    [InlineData("/api/console/app.css", "text/css")]
    public async Task Console_IsServedWithoutAKey_WithItsContentType_AndTheSecurityHeaders(string path, string mediaType)
    {
        using var response = await Server.Client.GetAsync(path, TestContext.Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("utf-8", response.Content.Headers.ContentType?.CharSet);
        AssertSecurityHeaders(response);
        Assert.True(response.Headers.CacheControl?.NoCache, "Cache-Control: no-cache (revalidate by ETag)");
        Assert.NotNull(response.Headers.ETag);
    }

    [Fact]
    public async Task Page_LoadsOnlyItsOwnFiles_AndHoldsNoInlineScriptOrStyle()
    {
        var html = await Server.Client.GetStringAsync("/api/console", TestContext.Token);

        Assert.Contains("<script type=\"module\" src=\"/api/console/app.js\"></script>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("style=", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<style", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("http://", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("https://", html, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(1, html.Split("<script", StringSplitOptions.None).Length - 1);
    }

    [Fact]
    public void Assets_NeverBuildHtmlFromStrings()
    {
        foreach (var (name, asset) in ConsoleEndpoints.Assets.Where(a => a.Key.EndsWith(".js", StringComparison.Ordinal)))
        {
            var code = string.Join('\n', System.Text.Encoding.UTF8.GetString(asset.Content).Split('\n').Where(line => !line.TrimStart().StartsWith("//", StringComparison.Ordinal)));
            foreach (var sink in new[] { "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "setAttribute('style'", "srcdoc" })
            {
                Assert.False(code.Contains(sink, StringComparison.Ordinal), $"{name} uses {sink}");
            }
        }
    }

    [Fact]
    public async Task Asset_AnswersNotModified_ForItsETag()
    {
        using var first = await Server.Client.GetAsync("/api/console/app.js", TestContext.Token);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/console/app.js");
        request.Headers.IfNoneMatch.Add(first.Headers.ETag!);

        using var second = await Server.Client.SendAsync(request, TestContext.Token);

        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
        Assert.Equal(first.Headers.ETag, second.Headers.ETag);
        Assert.Empty(await second.Content.ReadAsByteArrayAsync(TestContext.Token));
    }

    [Fact]
    public async Task Asset_IsServedAgain_ForAnotherETag()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/console/app.css");
        request.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"0123456789abcdef\""));

        using var response = await Server.Client.SendAsync(request, TestContext.Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotEmpty(await response.Content.ReadAsByteArrayAsync(TestContext.Token));
    }

    [Theory]
    [InlineData("/api/console/nope.js")]
    [InlineData("/api/console/index.html")]
    [InlineData("/api/console/APP.JS")]
    [InlineData("/api/console/..%2Fopenapi.json")]
    [InlineData("/api/console/..%2F..%2Fappsettings.json")]
    [InlineData("/api/console/%2E%2E%2Fhealth")]
    [InlineData("/api/console/ConsoleEndpoints.cs")]
    [InlineData("/api/console/app.js/x")]
    [InlineData("/api/console/../../etc/passwd")]
    public async Task Asset_RefusesEveryNameItDoesNotEmbed_With404ProblemJson(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);

        using var response = await Server.Client.SendAsync(request, TestContext.Token);
        var body = await ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("urn:salesauto:problem:not-found", body.GetProperty("type").GetString());
        Assert.DoesNotContain("\"paths\"", body.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Console_DoesNotAcceptPost()
    {
        using var response = await Server.Client.PostAsync("/api/console", RunningServer.Json("{}"), TestContext.Token);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }

    [Fact]
    public void EveryEmbeddedFile_HasAKnownType_AndThePageIsAmongThem()
    {
        Assert.Contains(ConsoleEndpoints.PageName, ConsoleEndpoints.Assets.Keys);
        Assert.All(ConsoleEndpoints.Assets, asset => Assert.False(string.IsNullOrEmpty(asset.Value.ContentType), asset.Key));
        Assert.Equal(ConsoleEndpoints.Assets.Count, ConsoleEndpoints.Assets.Values.Select(a => a.ETag).Distinct(StringComparer.Ordinal).Count());
    }

    private static void AssertSecurityHeaders(HttpResponseMessage response)
    {
        Assert.Equal(Csp, Header(response, "Content-Security-Policy"));
        Assert.Equal(ConsoleEndpoints.ContentSecurityPolicy, Csp);
        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
        Assert.Equal("no-referrer", Header(response, "Referrer-Policy"));
        Assert.Equal("DENY", Header(response, "X-Frame-Options"));
    }

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : $"(no {name})";
}
