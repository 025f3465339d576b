using System.Net;
using System.Text.Json;
using Dapper;
using Npgsql;
using SalesAuto.Core.DeadLetters;
using SalesAuto.Core.Events;
using SalesAuto.Core.Tests.Infrastructure;

namespace SalesAuto.Core.Tests.DeadLetters;

/// <summary>A migrated schema and a SalesAuto.Server on it, shared by the tests of one class (each test seeds its own source names).</summary>
public sealed class DeadLetterApi : IAsyncLifetime
{
    public PostgresSchema Schema { get; } = new("dlq");

    public RunningServer Server { get; private set; } = null!;

    public IDeadLetterStore Store => Server.Services.GetRequiredService<IDeadLetterStore>();

    public NpgsqlDataSource DataSource => Schema.DataSource;

    public async Task InitializeAsync()
    {
        await Schema.InitializeAsync();
        Server = await RunningServer.StartAsync(RunningServer.DefaultSettings(Schema.ConnectionString, TestEnvironment.UniqueName("dlq") + ":"));
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        await Schema.DisposeAsync();
    }
}

/// <summary>Seeding and reading helpers for the dead-letter tests.</summary>
internal static class DeadLetterTestData
{
    /// <summary>A source name no other test uses, so filters isolate a test's rows.</summary>
    public static string UniqueSource() => TestEnvironment.UniqueName("src");

    public static NewDeadLetter New(string source, string eventId, string type = "email.opened", string? campaignId = "cam_1", int attempts = 6, string reason = "enrollment not found after 6 attempts", string? payload = null) =>
        new(
            new CanonicalEvent(source, eventId, type, DateTimeOffset.UtcNow, campaignId, "ann@example.com", null, payload ?? JsonSerializer.Serialize(new { id = eventId, type, data = new { n = 1 } })),
            attempts,
            DateTimeOffset.UtcNow.AddMinutes(-30),
            reason);

    /// <summary>Inserts a row with chosen status and times (what the retry cycle and replay would have produced).</summary>
    public static async Task<Guid> InsertAsync(
        NpgsqlDataSource dataSource,
        string source,
        string eventId,
        string type = "email.opened",
        string status = "failed",
        DateTimeOffset? createdAt = null,
        DateTimeOffset? resolvedAt = null)
    {
        await using var connection = await dataSource.OpenConnectionAsync(TestContext.Token);
        return await connection.ExecuteScalarAsync<Guid>(new CommandDefinition(
            """
            insert into dead_letters (source, event_id, type, campaign_id, status, payload, failure_reason, attempts, first_seen_at, created_at, updated_at, resolved_at)
            values (@source, @eventId, @type, 'cam_1', @status, '{"k":"v"}', 'enrollment not found after 6 attempts', 6,
                    coalesce(@createdAt, now()) - interval '1 hour', coalesce(@createdAt, now()), coalesce(@createdAt, now()),
                    case when @status in ('replayed', 'ignored') then coalesce(@resolvedAt, now()) end)
            returning id
            """,
            new { source, eventId, type, status, createdAt = createdAt?.UtcDateTime, resolvedAt = resolvedAt?.UtcDateTime },
            cancellationToken: TestContext.Token));
    }

    public static async Task<T> ScalarAsync<T>(NpgsqlDataSource dataSource, string sql, object? parameters = null)
    {
        await using var connection = await dataSource.OpenConnectionAsync(TestContext.Token);
        return (await connection.ExecuteScalarAsync<T>(new CommandDefinition(sql, parameters, cancellationToken: TestContext.Token)))!;
    }

    public static async Task<List<T>> QueryAsync<T>(NpgsqlDataSource dataSource, string sql, object? parameters = null)
    {
        await using var connection = await dataSource.OpenConnectionAsync(TestContext.Token);
        return (await connection.QueryAsync<T>(new CommandDefinition(sql, parameters, cancellationToken: TestContext.Token))).ToList();
    }

    public static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql, object? parameters = null)
    {
        await using var connection = await dataSource.OpenConnectionAsync(TestContext.Token);
        await connection.ExecuteAsync(new CommandDefinition(sql, parameters, cancellationToken: TestContext.Token));
    }

    public static async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> GetAsync(HttpClient client, string path)
    {
        var response = await client.GetAsync(path, TestContext.Token);
        return (response.StatusCode, await ReadJsonAsync(response), response);
    }

    public static async Task<(HttpStatusCode Status, JsonElement Body)> PostJsonAsync(HttpClient client, string path, string json)
    {
        using var response = await client.PostAsync(path, RunningServer.Json(json), TestContext.Token);
        return (response.StatusCode, await ReadJsonAsync(response));
    }

    public static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync(TestContext.Token);
        if (string.IsNullOrEmpty(text))
        {
            return default;
        }

        try
        {
            return JsonDocument.Parse(text).RootElement.Clone();
        }
        catch (JsonException)
        {
            throw new Xunit.Sdk.XunitException($"{(int)response.StatusCode}: not JSON: {text}");
        }
    }

    /// <summary>The ids of a list page, in order.</summary>
    public static List<Guid> Ids(JsonElement page) =>
        page.GetProperty("items").EnumerateArray().Select(item => item.GetProperty("id").GetGuid()).ToList();

    public static string Detail(JsonElement problem) => problem.GetProperty("detail").GetString() ?? string.Empty;
}
