using System.Net.Http.Headers;
using System.Text;
using Dapper;
using SalesAuto.Core.Tests.Infrastructure;
using SalesAuto.Core.Tests.Webhooks;

namespace SalesAuto.Core.Tests.Functions;

/// <summary>
/// SalesAuto.Server (real HTTP) and the Functions app (its functions invoked with a real
/// HttpContext) on twin schemas and key prefixes with the same settings: the same requests, in
/// the same order, must get the same status and the same body.
/// </summary>
public sealed class FunctionsParityFixture : IAsyncLifetime
{
    public const string HubSpotSecret = "hubspot-client-secret-parity";
    public const string LemlistToken = "lemlist-token-parity-0123";
    public const string StandardSecret = "whsec_c3RhbmRhcmQtd2ViaG9va3MtdGVzdC1zZWNyZXQ=";
    public const string PublicBaseUrl = "https://hooks.salesauto.example";

    public PostgresSchema ServerSchema { get; } = new("parsrv");

    public PostgresSchema FunctionsSchema { get; } = new("parfn");

    public string ServerPrefix { get; } = TestEnvironment.UniqueName("parsrv") + ":";

    public string FunctionsPrefix { get; } = TestEnvironment.UniqueName("parfn") + ":";

    public RunningServer Server { get; private set; } = null!;

    public FunctionsHost Functions { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await ServerSchema.InitializeAsync();
        await FunctionsSchema.InitializeAsync();
        Server = await RunningServer.StartAsync(Settings(ServerSchema.ConnectionString, ServerPrefix));
        Functions = await FunctionsHost.StartAsync(Settings(FunctionsSchema.ConnectionString, FunctionsPrefix));
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        await Functions.DisposeAsync();
        await ServerSchema.DisposeAsync();
        await FunctionsSchema.DisposeAsync();
    }

    private static Dictionary<string, string?> Settings(string postgres, string prefix)
    {
        var settings = RunningServer.DefaultSettings(postgres, prefix);
        settings["Webhooks:PublicBaseUrl"] = PublicBaseUrl;
        settings["Webhooks:Sources:hubspot:Kind"] = "HubSpot";
        settings["Webhooks:Sources:hubspot:Secrets:0"] = HubSpotSecret;
        settings["Webhooks:Sources:lemlist:Kind"] = "Lemlist";
        settings["Webhooks:Sources:lemlist:Secrets:0"] = LemlistToken;
        settings["Webhooks:Sources:std:Kind"] = "StandardWebhooks";
        settings["Webhooks:Sources:std:Secrets:0"] = StandardSecret;
        settings["RetryQueue:CycleEnabled"] = "true"; // the Functions timer runs it; the Server's test fixture never starts its hosted cycle before its first interval
        settings["RetryQueue:Schedule"] = "0 0 0 1 1 *"; // once a year: nothing runs on its own during the test
        settings["SALESAUTO_RETRY_SCHEDULE"] = "0 0 0 1 1 *";
        return settings;
    }
}

public sealed class FunctionsParityTests(FunctionsParityFixture hosts) : IClassFixture<FunctionsParityFixture>
{
    private static readonly Dictionary<string, string> Key = new() { ["x-functions-key"] = RunningServer.AdminKey };

    [Fact]
    public async Task EveryRoute_AnswersTheSameOnBothHosts()
    {
        var campaign = "cam_parity";
        var deadLetter = Guid.Parse("3f2b0c4e-8d1a-4e6b-9c2d-5a7e1f0b3c9d");
        var replayable = Guid.Parse("0b6e2f5a-1c3d-4e8f-9a0b-7c6d5e4f3a2b");
        foreach (var schema in new[] { hosts.ServerSchema, hosts.FunctionsSchema })
        {
            await using var connection = await schema.DataSource.OpenConnectionAsync(TestContext.Token);
            await connection.ExecuteAsync(new Dapper.CommandDefinition(
                """
                insert into dead_letters (id, source, event_id, type, campaign_id, status, payload, failure_reason, attempts, first_seen_at, created_at, updated_at)
                values (@deadLetter, 'lemlist', 'dl_1', 'email.opened', 'cam_parity', 'failed', '{"k":"v"}', 'enrollment not found after 6 attempts', 6,
                        '2026-11-20T10:00:00Z', '2026-11-20T11:00:00Z', '2026-11-20T11:00:00Z'),
                       (@replayable, 'lemlist', 'dl_2', 'email.clicked', 'cam_parity', 'failed', '{"_id":"dl_2","type":"emailsClicked","campaignId":"cam_parity","leadEmail":"ann@example.com","createdAt":"2026-11-20T10:00:00Z"}', 'enrollment not found after 6 attempts', 6,
                        '2026-11-20T10:00:00Z', '2026-11-20T11:30:00Z', '2026-11-20T11:30:00Z')
                """,
                new { deadLetter, replayable },
                cancellationToken: TestContext.Token));
        }

        var hubSpotBody = """[{"eventId":101,"subscriptionId":7,"portalId":62515,"appId":1,"occurredAt":1763892000000,"subscriptionType":"contact.propertyChange","attemptNumber":0,"objectId":901,"propertyName":"email","propertyValue":"ann@example.com","changeSource":"CRM"}]""";
        var hubSpotTimestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var hubSpotSignature = Signatures.HubSpotV3(FunctionsParityFixture.HubSpotSecret, "POST", $"{FunctionsParityFixture.PublicBaseUrl}/api/webhooks/hubspot", hubSpotBody, hubSpotTimestamp);
        var standardBody = $$$"""{"id":"evt_std_1","type":"email.sent","occurredAt":"2026-11-23T10:00:00Z","campaignId":"{{{campaign}}}","email":"ann@example.com","data":{}}""";
        var standardTimestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var standardHeaders = new Dictionary<string, string>
        {
            ["webhook-id"] = "msg_parity_1",
            ["webhook-timestamp"] = standardTimestamp.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["webhook-signature"] = Signatures.StandardWebhooks(FunctionsParityFixture.StandardSecret, "msg_parity_1", standardTimestamp, standardBody),
        };

        var requests = new (HttpMethod Method, string Path, string? Body, Dictionary<string, string>? Headers)[]
        {
            (HttpMethod.Post, "/api/enrollments", $$"""{"campaignId":"{{campaign}}","email":"Ann@Example.com","crmContactId":"901","campaignName":"Q4"}""", Key),
            (HttpMethod.Post, "/api/enrollments", $$"""{"campaignId":"{{campaign}}","email":"ann@example.com"}""", Key),
            (HttpMethod.Post, "/api/enrollments", """{"campaignId":"c\ud800x","email":"ann@example.com"}""", Key),
            (HttpMethod.Post, "/api/enrollments", """{"campaignId":1}""", Key),
            (HttpMethod.Post, "/api/enrollments", """{"campaignId":"c","email":"ann@example.com"}""", null),
            (HttpMethod.Post, $"/api/webhooks/lemlist?token={FunctionsParityFixture.LemlistToken}", $$"""{"_id":"act_1","type":"emailsOpened","campaignId":"{{campaign}}","leadEmail":"ann@example.com","createdAt":"2026-11-23T10:15:02Z"}""", null),
            (HttpMethod.Post, $"/api/webhooks/lemlist?token={FunctionsParityFixture.LemlistToken}", $$"""{"_id":"act_1","type":"emailsOpened","campaignId":"{{campaign}}","leadEmail":"ann@example.com","createdAt":"2026-11-23T10:15:02Z"}""", null),
            (HttpMethod.Post, $"/api/webhooks/lemlist?token={FunctionsParityFixture.LemlistToken}", $$"""{"_id":"act_2","type":"emailsReplied","campaignId":"{{campaign}}","leadEmail":"nobody@example.com","createdAt":"2026-11-23T10:15:02Z"}""", null),
            (HttpMethod.Post, "/api/webhooks/lemlist?token=wrong", """{"_id":"act_3"}""", null),
            (HttpMethod.Post, "/api/webhooks/nosuchsource", "{}", null),
            (HttpMethod.Post, $"/api/webhooks/lemlist?token={FunctionsParityFixture.LemlistToken}", "{not json", null),
            (HttpMethod.Post, "/api/webhooks/hubspot", hubSpotBody, new() { ["X-HubSpot-Signature-v3"] = hubSpotSignature, ["X-HubSpot-Request-Timestamp"] = hubSpotTimestamp.ToString(System.Globalization.CultureInfo.InvariantCulture) }),
            (HttpMethod.Post, "/api/webhooks/hubspot", hubSpotBody, new() { ["X-HubSpot-Signature-v3"] = "bm90IGl0", ["X-HubSpot-Request-Timestamp"] = hubSpotTimestamp.ToString(System.Globalization.CultureInfo.InvariantCulture) }),
            (HttpMethod.Post, "/api/webhooks/std", standardBody, standardHeaders),
            (HttpMethod.Get, $"/api/campaigns/{campaign}/stats", null, Key),
            (HttpMethod.Get, "/api/campaigns/unknown_campaign/stats", null, Key),
            (HttpMethod.Get, "/api/dlq?limit=1", null, Key),
            (HttpMethod.Get, "/api/dlq?status=failed&source=lemlist", null, Key),
            (HttpMethod.Get, "/api/dlq?limit=0", null, Key),
            (HttpMethod.Get, "/api/dlq?cursor=garbage", null, Key),
            (HttpMethod.Get, $"/api/dlq/{deadLetter}", null, Key),
            (HttpMethod.Get, $"/api/dlq/{Guid.Empty}", null, Key),
            (HttpMethod.Get, "/api/dlq/stats", null, Key),
            (HttpMethod.Get, "/api/dlq/stats", null, new() { ["x-functions-key"] = "not-the-key-0123456789" }),
            (HttpMethod.Post, "/api/dlq/replay", """{"filter":{"source":"lemlist"},"dryRun":true}""", Key),
            (HttpMethod.Post, "/api/dlq/replay", $$"""{"ids":["{{replayable}}"]}""", Key),
            (HttpMethod.Post, "/api/dlq/replay", """{"ids":["nope"]}""", Key),
            (HttpMethod.Post, "/api/dlq/ignore", $$"""{"ids":["{{deadLetter}}"],"reason":"parity"}""", Key),
            (HttpMethod.Post, "/api/dlq/ignore", """{"ids":[]}""", Key),
            (HttpMethod.Get, $"/api/dlq/{deadLetter}", null, Key),
            (HttpMethod.Get, $"/api/campaigns/{campaign}/stats", null, Key),
            (HttpMethod.Get, "/api/dlq/stats", null, Key),
            (HttpMethod.Get, "/api/health", null, null),
            (HttpMethod.Get, "/api/openapi.json", null, null),
        };

        var differences = new List<string>();
        foreach (var (method, path, body, headers) in requests)
        {
            var server = await SendToServerAsync(method, path, body, headers);
            var function = await hosts.Functions.SendAsync(method, path, body, headers);
            if (server.Status != function.Status || server.Comparable() != function.Comparable() || MediaType(server) != MediaType(function))
            {
                differences.Add($"{method} {path}:\n  server    {server.Status} {MediaType(server)} {Shorten(server.Comparable())}\n  functions {function.Status} {MediaType(function)} {Shorten(function.Comparable())}");
            }

            Assert.True(server.Status < 500, $"{method} {path}: the server answered {server.Status}");
        }

        Assert.True(differences.Count == 0, string.Join('\n', differences));
    }

    [Fact]
    public async Task Metrics_ExposeTheSameFamilies_OnBothHosts()
    {
        var server = await SendToServerAsync(HttpMethod.Get, "/api/metrics", null, null);
        var function = await hosts.Functions.SendAsync(HttpMethod.Get, "/api/metrics");

        Assert.Equal(200, server.Status);
        Assert.Equal(server.Status, function.Status);
        Assert.Equal(MediaType(server), MediaType(function));
        Assert.Equal(Families(server.Body), Families(function.Body));
        Assert.Contains("salesauto_orphan_queue_depth", Families(function.Body));
    }

    [Fact]
    public async Task Timers_RunACycleAndARetentionPass()
    {
        var campaign = "cam_timer";
        await hosts.Functions.SendAsync(HttpMethod.Post, $"/api/webhooks/lemlist?token={FunctionsParityFixture.LemlistToken}", $$"""{"_id":"act_timer","type":"emailsSent","campaignId":"{{campaign}}","leadEmail":"tim@example.com","createdAt":"2026-11-23T10:15:02Z"}""");
        await using (var connection = await hosts.FunctionsSchema.DataSource.OpenConnectionAsync(TestContext.Token))
        {
            // The enrollment appears behind the queue's back (no promote), so only the cycle applies the orphan...
            await connection.ExecuteAsync(new CommandDefinition(
                "insert into campaigns (id) values (@campaign); insert into enrollments (campaign_id, email) values (@campaign, 'tim@example.com');",
                new { campaign },
                cancellationToken: TestContext.Token));
            // ...and an ignored dead letter older than the retention age waits for the retention pass.
            await connection.ExecuteAsync(new CommandDefinition(
                """
                insert into dead_letters (source, event_id, type, status, payload, failure_reason, attempts, first_seen_at, created_at, updated_at, resolved_at)
                values ('lemlist', 'dl_old', 'email.opened', 'ignored', '{}', 'x', 6, now() - interval '90 days', now() - interval '90 days', now() - interval '90 days', now() - interval '60 days')
                """,
                cancellationToken: TestContext.Token));
        }

        var redis = hosts.Functions.Services.GetRequiredService<StackExchange.Redis.IConnectionMultiplexer>().GetDatabase();
        var keys = new SalesAuto.Core.RetryQueue.RetryQueueKeys(hosts.FunctionsPrefix);
        // Due after its first delay: make it due now, as time passing would.
        await redis.SortedSetAddAsync(keys.Due, "lemlist\nact_timer", 0);

        await hosts.Functions.RunTimerAsync("RunRetryCycle");
        await hosts.Functions.RunTimerAsync("ApplyDeadLetterRetention");

        var stats = await hosts.Functions.SendAsync(HttpMethod.Get, $"/api/campaigns/{campaign}/stats", headers: Key);
        Assert.Equal(1, stats.Json().GetProperty("events").GetProperty("email.sent").GetInt32());
        Assert.True((await redis.StringGetAsync(keys.CycleCompleted)).HasValue, "the cycle did not record its completion");
        await using var count = hosts.FunctionsSchema.DataSource.CreateCommand("select count(*) from dead_letters where event_id = 'dl_old'");
        Assert.Equal(0L, await count.ExecuteScalarAsync(TestContext.Token));
    }

    private async Task<Exchange> SendToServerAsync(HttpMethod method, string path, string? body, IReadOnlyDictionary<string, string>? headers)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        }

        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await hosts.Server.Client.SendAsync(request, TestContext.Token);
        var headerValues = response.Headers.Concat(response.Content.Headers).ToDictionary(h => h.Key, h => string.Join(',', h.Value), StringComparer.OrdinalIgnoreCase);
        return new Exchange((int)response.StatusCode, response.Content.Headers.ContentType?.ToString(), await response.Content.ReadAsStringAsync(TestContext.Token), headerValues);
    }

    private static string? MediaType(Exchange exchange) =>
        exchange.ContentType is null ? null : MediaTypeHeaderValue.Parse(exchange.ContentType).MediaType;

    private static List<string> Families(string exposition) =>
        exposition.Split('\n').Where(line => line.StartsWith("# TYPE ", StringComparison.Ordinal)).Select(line => line.Split(' ')[2]).Order(StringComparer.Ordinal).ToList();

    private static string Shorten(string text) => text.Length <= 400 ? text : text[..400] + "...";
}
