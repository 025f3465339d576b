using System.Net;
using System.Text.Json;
using SalesAuto.Core.Http;
using SalesAuto.Core.Tests.Infrastructure;
using static SalesAuto.Core.Tests.DeadLetters.DeadLetterTestData;

namespace SalesAuto.Core.Tests.DeadLetters;

public sealed class OpenApiTests(PostgresSchema schema) : IClassFixture<PostgresSchema>
{
    [Fact]
    public async Task OpenApi_IsServedWithoutAKey_AsJson_AndDescribesEveryAdminRoute()
    {
        await using var server = await RunningServer.StartAsync(RunningServer.DefaultSettings(schema.ConnectionString, TestEnvironment.UniqueName("openapi") + ":"));

        using var response = await server.Client.GetAsync("/api/openapi.json", TestContext.Token);
        var document = await ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("3.1.", document.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        Assert.Equal("/api", document.GetProperty("servers")[0].GetProperty("url").GetString());
        var paths = document.GetProperty("paths");
        foreach (var route in Routes.All.Where(r => r.Access == Routes.Access.Key || r.Name == "GetOpenApi"))
        {
            Assert.True(paths.TryGetProperty(route.OpenApiPath, out var path), $"{route.OpenApiPath} is missing");
            Assert.True(path.TryGetProperty(route.Method.ToLowerInvariant(), out var operation), $"{route.Method} {route.Template} is missing");
            Assert.Equal(route.Name, operation.GetProperty("operationId").GetString());
        }
    }

    [Fact]
    public async Task OpenApi_DeclaresBothKeyLocations_AndProblemJsonErrors()
    {
        var document = await LoadAsync();
        var schemes = document.GetProperty("components").GetProperty("securitySchemes").EnumerateObject().Select(s => s.Value).ToList();

        Assert.Contains(schemes, s => s.GetProperty("type").GetString() == "apiKey" && s.GetProperty("in").GetString() == "header" && s.GetProperty("name").GetString() == "x-functions-key");
        Assert.Contains(schemes, s => s.GetProperty("type").GetString() == "apiKey" && s.GetProperty("in").GetString() == "query" && s.GetProperty("name").GetString() == "code");
        var responses = document.GetProperty("components").GetProperty("responses");
        foreach (var operation in document.GetProperty("paths").EnumerateObject().SelectMany(p => p.Value.EnumerateObject()))
        {
            foreach (var answer in operation.Value.GetProperty("responses").EnumerateObject().Where(r => r.Name[0] is '4' or '5'))
            {
                var name = answer.Value.GetProperty("$ref").GetString()!.Split('/')[^1];
                Assert.True(responses.GetProperty(name).GetProperty("content").TryGetProperty("application/problem+json", out _), $"{operation.Name} {answer.Name}");
            }
        }

        Assert.True(responses.GetProperty("TooManyRequests").GetProperty("headers").TryGetProperty("Retry-After", out _));
    }

    [Fact]
    public async Task OpenApi_DescribesBothReplayShapes_AndEveryReplayResult()
    {
        var document = await LoadAsync();
        var schemas = document.GetProperty("components").GetProperty("schemas");
        var replay = document.GetProperty("paths").GetProperty("/dlq/replay").GetProperty("post");

        var shapes = replay.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("oneOf")
            .EnumerateArray().Select(s => s.GetProperty("$ref").GetString()!.Split('/')[^1]).ToList();
        Assert.Equal(["ReplayByIdsRequest", "ReplayByFilterRequest"], shapes);
        Assert.Equal(100, schemas.GetProperty("IdList").GetProperty("maxItems").GetInt32());
        var byFilter = schemas.GetProperty("ReplayByFilterRequest").GetProperty("properties");
        Assert.Equal(10_000, byFilter.GetProperty("max").GetProperty("maximum").GetInt32());
        Assert.True(byFilter.TryGetProperty("dryRun", out _));
        Assert.True(byFilter.TryGetProperty("includeIgnored", out _));
        Assert.Equal(
            ["replayed", "requeued", "duplicate", "already_replayed", "already_replaying", "ignored_skipped", "not_found", "failed"],
            schemas.GetProperty("ReplayResult").GetProperty("properties").GetProperty("result").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(
            ["status", "source", "type", "from", "to"],
            schemas.GetProperty("Filter").GetProperty("properties").EnumerateObject().Select(p => p.Name));
    }

    private static async Task<JsonElement> LoadAsync()
    {
        var endpoint = new OpenApiEndpoint();
        var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        using var body = new MemoryStream();
        context.Response.Body = body;
        context.RequestServices = new ServiceCollection().AddLogging().BuildServiceProvider();
        await endpoint.Get(context).ExecuteAsync(context);
        return JsonDocument.Parse(body.ToArray()).RootElement.Clone();
    }
}
