using System.Net;
using System.Text.Json;
using SalesAuto.Core.Http;
using SalesAuto.Core.Tests.Infrastructure;
using static SalesAuto.Core.Tests.DeadLetters.DeadLetterTestData;

namespace SalesAuto.Core.Tests.DeadLetters;

/// <summary>Core's authorization of the key routes (key, rate limit, CORS), here through SalesAuto.Server.</summary>
public sealed class AdminRouteProtectionTests(PostgresSchema schema) : IClassFixture<PostgresSchema>
{
    private const string OtherKey = "other-admin-key-9876543210";
    private const string AllowedOrigin = "https://ops.example.com";

    [Fact]
    public async Task AdminRoutes_Answer429WithRetryAfter_AfterThePermitLimit()
    {
        var settings = Settings();
        settings["Admin:RateLimit:PermitLimit"] = "3";
        settings["Admin:RateLimit:Window"] = "00:01:00";
        await using var server = await RunningServer.StartAsync(settings);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var ok = await server.Admin.GetAsync(i % 2 == 0 ? "/api/dlq/stats" : "/api/dlq?limit=1", TestContext.Token);
            statuses.Add(ok.StatusCode);
        }

        using var limited = await server.Admin.GetAsync("/api/dlq/stats", TestContext.Token);
        using var limitedPost = await server.Admin.PostAsync("/api/dlq/ignore", RunningServer.Json($$"""{"ids":["{{Guid.NewGuid()}}"]}"""), TestContext.Token);
        using var otherKey = new HttpRequestMessage(HttpMethod.Get, "/api/dlq/stats") { Headers = { { "x-functions-key", OtherKey } } };
        using var otherCaller = await server.Client.SendAsync(otherKey, TestContext.Token);
        using var health = await server.Client.GetAsync("/api/health", TestContext.Token);

        Assert.All(statuses, status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
        Assert.Equal("urn:salesauto:problem:rate-limited", (await ReadJsonAsync(limited)).GetProperty("type").GetString());
        var retryAfter = limited.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
        Assert.Equal(HttpStatusCode.TooManyRequests, limitedPost.StatusCode);
        // The limit is per caller, and only on the admin routes.
        Assert.Equal(HttpStatusCode.OK, otherCaller.StatusCode);
        Assert.NotEqual(HttpStatusCode.TooManyRequests, health.StatusCode);
    }

    [Fact]
    public async Task AdminRoutes_Answer403_ToADisallowedOrigin_BeforeActing()
    {
        var settings = Settings();
        settings["Admin:AllowedOrigins:0"] = AllowedOrigin;
        await using var server = await RunningServer.StartAsync(settings);
        var id = await InsertAsync(schema.DataSource, UniqueSource(), "cors_target");

        using var get = Request(HttpMethod.Get, "/api/dlq/stats", "https://evil.example");
        using var getResponse = await server.Admin.SendAsync(get, TestContext.Token);
        using var post = Request(HttpMethod.Post, "/api/dlq/ignore", "https://evil.example");
        post.Content = RunningServer.Json(JsonSerializer.Serialize(new { ids = new[] { id } }));
        using var postResponse = await server.Admin.SendAsync(post, TestContext.Token);
        using var preflight = Request(HttpMethod.Options, "/api/dlq/ignore", "https://evil.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "x-functions-key, content-type");
        using var preflightResponse = await server.Client.SendAsync(preflight, TestContext.Token);

        foreach (var response in new[] { getResponse, postResponse, preflightResponse })
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("urn:salesauto:problem:origin-not-allowed", (await ReadJsonAsync(response)).GetProperty("type").GetString());
            Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
        }

        Assert.Equal("failed", await ScalarAsync<string>(schema.DataSource, "select status from dead_letters where id = @id", new { id }));
    }

    [Fact]
    public async Task AdminRoutes_AllowTheConfiguredOrigin_WithCorsHeaders()
    {
        var settings = Settings();
        settings["Admin:AllowedOrigins:0"] = AllowedOrigin + "/";
        await using var server = await RunningServer.StartAsync(settings);

        using var get = Request(HttpMethod.Get, "/api/dlq?limit=1", AllowedOrigin);
        using var getResponse = await server.Admin.SendAsync(get, TestContext.Token);
        using var preflight = Request(HttpMethod.Options, "/api/dlq/ignore", AllowedOrigin);
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        using var preflightResponse = await server.Client.SendAsync(preflight, TestContext.Token);

        Assert.Equal(HttpStatusCode.OK, getResponse.StatusCode);
        Assert.Equal(AllowedOrigin, getResponse.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal(HttpStatusCode.NoContent, preflightResponse.StatusCode);
        Assert.Equal(AllowedOrigin, preflightResponse.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("POST", preflightResponse.Headers.GetValues("Access-Control-Allow-Methods").Single(), StringComparison.Ordinal);
        Assert.Contains("x-functions-key", preflightResponse.Headers.GetValues("Access-Control-Allow-Headers").Single(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task AdminRoutes_NeverAnswer500_ForOddOrigins()
    {
        var settings = Settings();
        settings["Admin:AllowedOrigins:0"] = AllowedOrigin;
        await using var server = await RunningServer.StartAsync(settings);
        var origins = new[] { "null", "https://ops.example.com.evil.example", "http://ops.example.com", "not a url", "https://", new string('a', 4000), "https://ops.example.com:443/path", "https://%00", "https://ops.example.com\t" };

        foreach (var origin in origins)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/dlq/stats");
            request.Headers.TryAddWithoutValidation("Origin", origin);
            using var response = await server.Admin.SendAsync(request, TestContext.Token);
            Assert.True(response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.OK, $"Origin '{origin[..Math.Min(origin.Length, 40)]}': {(int)response.StatusCode}");
        }

        // Same origin (the server's own) and no Origin at all pass untouched.
        using var same = Request(HttpMethod.Get, "/api/dlq/stats", server.BaseAddress.GetLeftPart(UriPartial.Authority));
        using var sameResponse = await server.Admin.SendAsync(same, TestContext.Token);
        Assert.Equal(HttpStatusCode.OK, sameResponse.StatusCode);
    }

    [Fact]
    public async Task KeyRoutes_Answer401WithAChallenge_WhenTheKeyIsMissingOrWrong()
    {
        await using var server = await RunningServer.StartAsync(Settings());

        foreach (var route in Routes.All.Where(r => r.Access == Routes.Access.Key))
        {
            var path = "/" + Routes.Prefix + "/" + route.Template.Replace("{id:guid}", Guid.NewGuid().ToString(), StringComparison.Ordinal).Replace("{campaignId}", "cam_1", StringComparison.Ordinal);
            foreach (var key in new[] { null, "wrong-key-0123456789abcdef" })
            {
                using var request = new HttpRequestMessage(new HttpMethod(route.Method), path) { Content = route.Method == "POST" ? RunningServer.Json("{}") : null };
                if (key is not null)
                {
                    request.Headers.Add("x-functions-key", key);
                }

                using var response = await server.Client.SendAsync(request, TestContext.Token);
                Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{route.Name} with key {key ?? "(none)"}: {(int)response.StatusCode}");
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                var challenge = Assert.Single(response.Headers.WwwAuthenticate);
                Assert.Equal("SalesAuto-Key", challenge.Scheme);
                Assert.Contains("header=\"x-functions-key\"", challenge.Parameter, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task KeyRoutes_FailClosed_WhenNoAdminKeyIsConfigured()
    {
        var settings = RunningServer.DefaultSettings(schema.ConnectionString, TestEnvironment.UniqueName("admin") + ":");
        settings.Remove("Admin:Keys:tests");
        await using var server = await RunningServer.StartAsync(settings);

        using var withTheOldKey = await server.Admin.GetAsync("/api/dlq/stats", TestContext.Token);
        using var health = await server.Client.GetAsync("/api/health", TestContext.Token);

        Assert.Equal(HttpStatusCode.Unauthorized, withTheOldKey.StatusCode);
        Assert.Contains("No admin key is configured", (await ReadJsonAsync(withTheOldKey)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    private Dictionary<string, string?> Settings()
    {
        var settings = RunningServer.DefaultSettings(schema.ConnectionString, TestEnvironment.UniqueName("admin") + ":");
        settings["Admin:Keys:other"] = OtherKey;
        return settings;
    }

    private static HttpRequestMessage Request(HttpMethod method, string path, string origin)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add("Origin", origin);
        return request;
    }
}
