using System.Net;
using System.Text.Json;
using SalesAuto.Core.RetryQueue;
using SalesAuto.Core.Tests.Infrastructure;
using StackExchange.Redis;

namespace SalesAuto.Core.Tests.Foundation;

public sealed class HealthTests(PostgresSchema schema) : IClassFixture<PostgresSchema>
{
    [Fact]
    public async Task Health_IsHealthy_WhenPostgresAndRedisAreUp()
    {
        await using var server = await RunningServer.StartAsync(RunningServer.DefaultSettings(schema.ConnectionString, TestEnvironment.UniqueName("health")));

        var (status, body) = await GetHealthAsync(server);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True("healthy" == body.GetProperty("status").GetString(), body.ToString());
        Assert.Equal("healthy", body.GetProperty("components").GetProperty("postgres").GetProperty("status").GetString());
        Assert.Equal("healthy", body.GetProperty("components").GetProperty("redis").GetProperty("status").GetString());
        Assert.True(body.GetProperty("components").GetProperty("postgres").GetProperty("durationMs").GetDouble() > 0);
    }

    [Fact]
    public async Task Health_IsDegraded_WhenRedisIsDown()
    {
        var settings = RunningServer.DefaultSettings(schema.ConnectionString, TestEnvironment.UniqueName("health"));
        settings["ConnectionStrings:Redis"] = $"127.0.0.1:{TestEnvironment.ClosedPort()},abortConnect=false,connectTimeout=500";
        await using var server = await RunningServer.StartAsync(settings);

        var (status, body) = await GetHealthAsync(server);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("degraded", body.GetProperty("status").GetString());
        var redis = body.GetProperty("components").GetProperty("redis");
        Assert.Equal("degraded", redis.GetProperty("status").GetString());
        Assert.False(string.IsNullOrEmpty(redis.GetProperty("error").GetString()));
        Assert.Equal("healthy", body.GetProperty("components").GetProperty("postgres").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Health_IsUnhealthyWith503_WhenPostgresIsDown()
    {
        var settings = RunningServer.DefaultSettings($"Host=127.0.0.1;Port={TestEnvironment.ClosedPort()};Username=x;Password=y;Timeout=2", TestEnvironment.UniqueName("health"));
        settings["Postgres:MigrateOnStart"] = "false";
        await using var server = await RunningServer.StartAsync(settings);

        var (status, body) = await GetHealthAsync(server);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("unhealthy", body.GetProperty("status").GetString());
        var postgres = body.GetProperty("components").GetProperty("postgres");
        Assert.Equal("unhealthy", postgres.GetProperty("status").GetString());
        Assert.DoesNotContain("Password", postgres.GetProperty("error").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal("healthy", body.GetProperty("components").GetProperty("redis").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Health_IsDegraded_WhenNoRetryCycleCompletedForThreeIntervals()
    {
        // The check reads when a cycle last completed (any instance writes it to Redis): the test
        // writes that time itself instead of sleeping past the staleness bound.
        var prefix = TestEnvironment.UniqueName("health");
        var settings = RunningServer.DefaultSettings(schema.ConnectionString, prefix);
        settings["RetryQueue:Schedule"] = "* * * * * *";
        settings["RetryQueue:CycleEnabled"] = "false";
        await using var server = await RunningServer.StartAsync(settings);
        var redis = server.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        var completedKey = new RetryQueueKeys(prefix).CycleCompleted;
        var lastCompleted = DateTimeOffset.UtcNow.AddMinutes(-1);
        await redis.StringSetAsync(completedKey, lastCompleted.ToUnixTimeMilliseconds());

        var (status, body) = await GetHealthAsync(server);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("degraded", body.GetProperty("status").GetString());
        var cycle = body.GetProperty("components").GetProperty("retryCycle");
        Assert.Equal("degraded", cycle.GetProperty("status").GetString());
        // Stale from three one-second intervals after the last completed cycle.
        Assert.Equal(lastCompleted.ToUnixTimeMilliseconds() + 3000, cycle.GetProperty("since").GetDateTimeOffset().ToUnixTimeMilliseconds());
        Assert.Equal(lastCompleted.ToUnixTimeMilliseconds(), cycle.GetProperty("lastCompletedAt").GetDateTimeOffset().ToUnixTimeMilliseconds());

        // A completed cycle (written as a cycle would) makes it healthy again.
        await redis.StringSetAsync(completedKey, DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeMilliseconds());
        var (_, after) = await GetHealthAsync(server);
        Assert.Equal("healthy", after.GetProperty("components").GetProperty("retryCycle").GetProperty("status").GetString());
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> GetHealthAsync(RunningServer server)
    {
        using var response = await server.Client.GetAsync("/api/health", TestContext.Token);
        var json = await response.Content.ReadAsStringAsync(TestContext.Token);
        return (response.StatusCode, JsonDocument.Parse(json).RootElement.Clone());
    }
}
