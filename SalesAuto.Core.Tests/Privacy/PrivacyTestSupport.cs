using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Logging;
using SalesAuto.Core.Tests.Infrastructure;
using SalesAuto.Core.Tests.Webhooks;
using StackExchange.Redis;

namespace SalesAuto.Core.Tests.Privacy;

/// <summary>A server with one source of each kind, every log line captured (Information and up), on its own schema and key prefix.</summary>
public sealed class PrivacyServerFixture : WebhookServerFixture
{
    public CapturingLoggerProvider Logs { get; } = new();

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Logging:LogLevel:Default"] = "Information";
    }

    protected override void Customize(Microsoft.AspNetCore.Builder.WebApplicationBuilder builder) =>
        builder.Logging.AddProvider(Logs);
}

/// <summary>One person of a test: a unique email and a unique numeric CRM contact id (HubSpot's objectId is a number).</summary>
internal sealed record Person(string Email, string CrmContactId)
{
    public static Person New() => new(
        $"p{Guid.NewGuid():N}@example.com",
        Random.Shared.NextInt64(100_000_000_000, 999_999_999_999).ToString(CultureInfo.InvariantCulture));
}

/// <summary>Webhook deliveries signed as each provider signs them, enrollments, and the searches that prove an erase left nothing.</summary>
internal static class PrivacyTestSupport
{
    public static async Task EnrollAsync(RunningServer server, string campaign, Person person, string? campaignName = null)
    {
        var name = campaignName is null ? string.Empty : $",\"campaignName\":\"{campaignName}\"";
        using var response = await server.Admin.PostAsync("/api/enrollments", RunningServer.Json(
            $$"""{"campaignId":"{{campaign}}","email":"{{person.Email}}","crmContactId":"{{person.CrmContactId}}"{{name}}}"""), TestContext.Token);
        response.EnsureSuccessStatusCode();
    }

    public static async Task<JsonElement> PostLemlistAsync(RunningServer server, string campaign, string email, string type = "emailsOpened", string? id = null)
    {
        var body = $$"""{"_id":"{{id ?? $"act_{Guid.NewGuid():N}"}}","type":"{{type}}","createdAt":"2026-11-23T10:15:02.511Z","campaignId":"{{campaign}}","leadEmail":"{{email}}","sequenceStep":1}""";
        using var request = JsonRequest($"/api/webhooks/lemlist?token={WebhookServerFixture.LemlistToken}", body);
        return await SendAsync(server, request);
    }

    public static async Task<JsonElement> PostHubSpotAsync(RunningServer server, string crmContactId, int count = 1, string subscriptionType = "contact.propertyChange")
    {
        var body = "[" + string.Join(",", Enumerable.Range(0, count).Select(i =>
            $$"""{"eventId":{{Random.Shared.NextInt64(1, long.MaxValue)}},"subscriptionId":2301445,"portalId":62515,"appId":1160452,"occurredAt":{{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + i}},"subscriptionType":"{{subscriptionType}}","attemptNumber":0,"objectId":{{crmContactId}},"propertyName":"lifecyclestage","propertyValue":"lead","changeSource":"CRM"}""")) + "]";
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        using var request = JsonRequest("/api/webhooks/hubspot", body);
        request.Headers.Add("X-HubSpot-Signature-v3", Signatures.HubSpotV3(WebhookServerFixture.HubSpotSecret, "POST", $"{WebhookServerFixture.PublicBaseUrl}/api/webhooks/hubspot", body, timestamp));
        request.Headers.Add("X-HubSpot-Request-Timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        return await SendAsync(server, request);
    }

    public static async Task<JsonElement> PostStandardAsync(RunningServer server, string campaign, string email, int count = 1)
    {
        var body = "[" + string.Join(",", Enumerable.Range(0, count).Select(_ =>
            $$$"""{"id":"evt_{{{Guid.NewGuid():N}}}","type":"email.sent","occurredAt":"2026-11-23T10:00:00Z","campaignId":"{{{campaign}}}","email":"{{{email}}}","data":{"step":0}}""")) + "]";
        var id = $"msg_{Guid.NewGuid():N}";
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        using var request = JsonRequest("/api/webhooks/std", body);
        request.Headers.Add("webhook-id", id);
        request.Headers.Add("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", Signatures.StandardWebhooks(WebhookServerFixture.StandardSecret, id, timestamp, body));
        return await SendAsync(server, request);
    }

    public static async Task<(System.Net.HttpStatusCode Status, JsonElement Body, string Text)> PostAdminAsync(RunningServer server, string path, string json)
    {
        using var response = await server.Admin.PostAsync(path, RunningServer.Json(json), TestContext.Token);
        var text = await response.Content.ReadAsStringAsync(TestContext.Token);
        var body = text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
        return (response.StatusCode, body, text);
    }

    public static async Task<JsonElement> GetStatsAsync(RunningServer server, string campaign)
    {
        using var response = await server.Admin.GetAsync($"/api/campaigns/{campaign}/stats", TestContext.Token);
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Token)).RootElement.Clone();
    }

    /// <summary>Every (table.column) of the schema whose text (text, varchar, json, jsonb, any array of them) contains <paramref name="needle"/>.</summary>
    public static async Task<IReadOnlyList<string>> FindInPostgresAsync(PostgresSchema schema, string needle)
    {
        await using var connection = await schema.DataSource.OpenConnectionAsync(TestContext.Token);
        var columns = (await connection.QueryAsync<(string Table, string Column)>(
            """
            select c.table_name, c.column_name from information_schema.columns c
            join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_type = 'BASE TABLE'
            where c.table_schema = @schema and (c.data_type in ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY', 'USER-DEFINED'))
            """, new { schema = schema.Name })).ToList();
        Assert.Contains(columns, c => c is ("enrollments", "email"));
        Assert.Contains(columns, c => c is ("campaign_events", "payload"));
        Assert.Contains(columns, c => c is ("dead_letters", "payload"));
        Assert.Contains(columns, c => c is ("audit_log", "detail"));
        var found = new List<string>();
        foreach (var (table, column) in columns)
        {
            var hits = await connection.ExecuteScalarAsync<long>(
                $"select count(*) from \"{table}\" where strpos(\"{column}\"::text, @needle) > 0", new { needle });
            if (hits > 0)
            {
                found.Add($"{table}.{column}");
            }
        }

        return found;
    }

    /// <summary>Every Redis key under <paramref name="prefix"/> whose name or value (of any type) contains <paramref name="needle"/>.</summary>
    public static async Task<IReadOnlyList<string>> FindInRedisAsync(RunningServer server, string prefix, string needle)
    {
        var redis = server.Services.GetRequiredService<IConnectionMultiplexer>();
        var database = redis.GetDatabase();
        var found = new List<string>();
        var keys = 0;
        foreach (var endpoint in redis.GetEndPoints())
        {
            await foreach (var key in redis.GetServer(endpoint).KeysAsync(pattern: prefix + "*", pageSize: 1000))
            {
                keys++;
                var values = await database.KeyTypeAsync(key) switch
                {
                    RedisType.String => [(string?)await database.StringGetAsync(key)],
                    RedisType.Hash => (await database.HashGetAllAsync(key)).SelectMany(e => new[] { (string?)e.Name, (string?)e.Value }).ToArray(),
                    RedisType.Set => (await database.SetMembersAsync(key)).Select(v => (string?)v).ToArray(),
                    RedisType.SortedSet => (await database.SortedSetRangeByRankAsync(key)).Select(v => (string?)v).ToArray(),
                    RedisType.List => (await database.ListRangeAsync(key)).Select(v => (string?)v).ToArray(),
                    // Gone between SCAN and TYPE (an erase or a cycle deleted it meanwhile): it holds nothing now.
                    RedisType.None => [],
                    var other => throw new InvalidOperationException($"key type {other} is not searched"),
                };
                // Item bodies are JSON: an email can appear escaped there, so compare unescaped too.
                if (((string)key!).Contains(needle, StringComparison.Ordinal)
                    || values.Any(v => v is not null && (v.Contains(needle, StringComparison.Ordinal) || Unescaped(v).Contains(needle, StringComparison.Ordinal))))
                {
                    found.Add(key!);
                }
            }
        }

        Assert.True(keys >= 0);
        return found;
    }

    public static IReadOnlyList<string> FindInLogs(CapturingLoggerProvider logs, string needle) =>
        [.. logs.Lines.Where(line => line.Contains(needle, StringComparison.Ordinal))];

    public static async Task<string> MetricsAsync(RunningServer server) =>
        await server.Client.GetStringAsync("/api/metrics", TestContext.Token);

    private static string Unescaped(string json)
    {
        try
        {
            return System.Text.RegularExpressions.Regex.Unescape(json);
        }
        catch (ArgumentException)
        {
            return json;
        }
    }

    private static HttpRequestMessage JsonRequest(string path, string body) =>
        new(HttpMethod.Post, path) { Content = new StringContent(body, new MediaTypeHeaderValue("application/json")) };

    private static async Task<JsonElement> SendAsync(RunningServer server, HttpRequestMessage request)
    {
        using var response = await server.Client.SendAsync(request, TestContext.Token);
        var text = await response.Content.ReadAsStringAsync(TestContext.Token);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
