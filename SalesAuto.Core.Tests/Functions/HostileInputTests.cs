using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Dapper;
using SalesAuto.Core.Observability;
using SalesAuto.Core.Tests.Infrastructure;
using SalesAuto.Core.Tests.Webhooks;

namespace SalesAuto.Core.Tests.Functions;

/// <summary>
/// Hostile input on every route of both hosts, with Postgres and Redis up: NUL and other control
/// characters, lone surrogates, BOMs, bidi overrides, 5,000-character strings, numbers out of
/// range, wrong JSON types in every field, random bytes; signed and unsigned. Nothing may answer
/// 5xx, count a Postgres error, store anything for a refused request, or leave the service
/// unhealthy.
/// </summary>
public sealed class HostileInputTests(FunctionsParityFixture hosts) : IClassFixture<FunctionsParityFixture>
{
    private const int PerRoute = 2000;

    private static readonly string[] HostileStrings =
    [
        "\u0000", "a\u0000b", "\ud800", "x\udfffy", "\ufeffcam", "\u202egnp.exe", "\u2066id\u2069", "\u0001\u001f\u007f", "\u0085\u009b",
        new string('A', 5000), new string('é', 5000), "../../etc/passwd", "<script>alert(1)</script>", "' or 1=1 --", "%00", "\r\nX-Injected: 1", "",
        " ", "\t", "😀", "\uffff", "ann@example.com\u0000", "ANN@EXAMPLE.COM", "a@b", "@", "a@", "a@@b",
    ];

    private static readonly string[] HostileNumbers =
    [
        "1e999999", "-1e999999", "99999999999999999999999999999999999999", "-0", "0.0000000000000000000000001", "1" + new string('0', 400), "-9223372036854775809", "18446744073709551616", "1.5", "NaN",
    ];

    private static readonly string[] HeaderSafe = [.. HostileStrings.Where(s => s.All(c => c is >= ' ' and <= '~')), "\"quoted\"", "a,b;c=d"];

    public static TheoryData<string> Routes() => [.. SalesAuto.Core.Http.Routes.All.Select(r => r.Name)];

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task HostileRequests_NeverAnswer5xx_NorCountAPostgresError_NorStoreWhatTheyRefused(string routeName)
    {
        var route = SalesAuto.Core.Http.Routes.Named(routeName);
        var random = new Random(routeName.GetHashCode(StringComparison.Ordinal) & 0x7fffffff ^ 1234);
        var requests = Requests(route, random).Take(PerRoute).ToList();
        Assert.True(requests.Count == PerRoute, $"only {requests.Count} requests were generated for {routeName}");

        var serverErrorsBefore = PostgresErrors(hosts.Server.Services);
        var functionErrorsBefore = PostgresErrors(hosts.Functions.Services);
        var failures = new List<string>();
        var accepted = new Dictionary<string, int> { ["server"] = 0, ["functions"] = 0 };
        var stored = new Dictionary<string, string>();
        foreach (var request in requests)
        {
            foreach (var (host, send, schema) in new (string, Func<HostileRequest, Task<int>>, PostgresSchema)[]
            {
                ("server", SendToServerAsync, hosts.ServerSchema),
                ("functions", SendToFunctionsAsync, hosts.FunctionsSchema),
            })
            {
                // Requests go one at a time: what was stored after the last one is what is stored before this one.
                var before = stored.TryGetValue(host, out var last) ? last : await StoredAsync(schema);
                var status = await send(request);
                var after = stored[host] = await StoredAsync(schema);
                accepted[host] += status is >= 200 and < 300 ? 1 : 0;
                if (status >= 500)
                {
                    failures.Add($"{host}: {status} for {request}");
                }
                else if (status >= 400 && before != after)
                {
                    failures.Add($"{host}: {status} refused {request} but stored something ({before} -> {after})");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures.Take(20)));
        if (routeName is "ReceiveWebhook" or "UpsertEnrollment" or "ListDeadLetters")
        {
            // Signed, well-formed requests with one odd member get through: the hostile ones reach the stores.
            Assert.True(accepted["server"] > 0 && accepted["functions"] > 0, $"no request was accepted ({accepted["server"]} on the server, {accepted["functions"]} on functions)");
        }

        Assert.Equal(serverErrorsBefore, PostgresErrors(hosts.Server.Services));
        Assert.Equal(functionErrorsBefore, PostgresErrors(hosts.Functions.Services));
        using var health = await hosts.Server.Client.GetAsync("/api/health", TestContext.Token);
        Assert.Equal(System.Net.HttpStatusCode.OK, health.StatusCode);
        var functionHealth = await hosts.Functions.SendAsync(HttpMethod.Get, "/api/health");
        Assert.Equal(200, functionHealth.Status);
    }

    private IEnumerable<HostileRequest> Requests(SalesAuto.Core.Http.Routes.RouteDefinition route, Random random)
    {
        var path = "/api/" + route.Template;
        var bodies = Bodies(route, random).GetEnumerator();
        var paths = PathVariants(route.Template, random).GetEnumerator();
        for (var i = 0; ; i++)
        {
            var headers = new Dictionary<string, string>();
            var chosenPath = paths.MoveNext() ? paths.Current : Fill(route.Template, random);
            var query = Query(route, random);
            if (route.Access != SalesAuto.Core.Http.Routes.Access.Anonymous)
            {
                // Header values stay printable ASCII: an HTTP client cannot send anything else (the body and query carry the rest).
                headers["x-functions-key"] = i % 5 == 0 ? Pick(random, HeaderSafe) : RunningServer.AdminKey;
            }

            if (i % 7 == 0)
            {
                headers["X-Request-ID"] = Pick(random, HeaderSafe) + i.ToString(CultureInfo.InvariantCulture);
            }

            if (route.Method == "GET")
            {
                yield return new HostileRequest(HttpMethod.Get, "/api/" + chosenPath + query, null, null, headers);
                continue;
            }

            var (body, contentType) = bodies.MoveNext() ? bodies.Current : (RandomBytes(random), "application/json");
            if (route.Name == "ReceiveWebhook")
            {
                var source = chosenPath.Split('/')[1];
                Sign(source, body, i, headers, random, ref query);
            }

            yield return new HostileRequest(HttpMethod.Post, "/api/" + chosenPath + query, body, contentType, headers);
        }
    }

    private static IEnumerable<string> PathVariants(string template, Random random)
    {
        if (template == "webhooks/{source}")
        {
            // Mostly real sources (signed below), so the bodies reach the parser.
            for (var i = 0; ; i++)
            {
                yield return "webhooks/" + (i % 10 == 9 ? Uri.EscapeDataString(Pick(random, HostileStrings)) is { Length: > 0 } hostile && !hostile.Contains("%2F", StringComparison.OrdinalIgnoreCase) ? hostile : "nosuch" : Pick(random, ["lemlist", "hubspot", "std"]));
            }
        }

        if (!template.Contains('{', StringComparison.Ordinal))
        {
            yield break;
        }

        foreach (var value in HostileStrings.Where(v => v.Length > 0 && v.Trim().Length > 0 && !v.Contains('/', StringComparison.Ordinal)))
        {
            yield return template.Replace("{campaignId}", Uri.EscapeDataString(value), StringComparison.Ordinal).Replace("{id:guid}", Guid.NewGuid().ToString(), StringComparison.Ordinal);
        }
    }

    private static string Fill(string template, Random random) => template
        .Replace("{campaignId}", "cam_" + random.Next(5).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .Replace("{id:guid}", Guid.NewGuid().ToString(), StringComparison.Ordinal)
        .Replace("{source}", "lemlist", StringComparison.Ordinal);

    private static string Query(SalesAuto.Core.Http.Routes.RouteDefinition route, Random random)
    {
        if (route.Name is not ("ListDeadLetters" or "GetDeadLetterStats" or "GetCampaignStats" or "GetMetrics" or "GetHealth"))
        {
            return string.Empty;
        }

        var name = Pick(random, ["limit", "cursor", "status", "source", "type", "from", "to", "code", "limit"]);
        var value = random.Next(2) == 0 ? Pick(random, HostileStrings) : Pick(random, HostileNumbers);
        return "?" + name + "=" + Uri.EscapeDataString(value) + (random.Next(3) == 0 ? "&" + name + "=" + Uri.EscapeDataString(Pick(random, HostileNumbers)) : string.Empty);
    }

    private static IEnumerable<(byte[] Body, string? ContentType)> Bodies(SalesAuto.Core.Http.Routes.RouteDefinition route, Random random)
    {
        var fields = route.Name switch
        {
            "UpsertEnrollment" => new[] { "campaignId", "email", "crmContactId", "campaignName" },
            "ReplayDeadLetters" => ["ids", "filter", "dryRun", "max", "force", "reason"],
            "IgnoreDeadLetters" => ["ids", "reason"],
            "ReceiveWebhook" => ["_id", "type", "campaignId", "leadEmail", "createdAt", "id", "occurredAt", "email", "data", "eventId", "portalId", "subscriptionId", "objectId", "subscriptionType"],
            _ => [],
        };
        var valid = route.Name switch
        {
            "UpsertEnrollment" => new Dictionary<string, object?> { ["campaignId"] = "cam_h", ["email"] = "h@example.com" },
            "ReplayDeadLetters" => new Dictionary<string, object?> { ["ids"] = new[] { Guid.NewGuid().ToString() } },
            "IgnoreDeadLetters" => new Dictionary<string, object?> { ["ids"] = new[] { Guid.NewGuid().ToString() }, ["reason"] = "x" },
            _ => new Dictionary<string, object?> { ["_id"] = "h1", ["type"] = "emailsOpened", ["campaignId"] = "cam_h", ["leadEmail"] = "h@example.com", ["createdAt"] = "2026-11-23T10:00:00Z" },
        };

        foreach (var field in fields)
        {
            foreach (var value in HostileValues(random))
            {
                var body = new Dictionary<string, object?>(valid) { [field] = value };
                yield return (Encoding.UTF8.GetBytes(Serialize(body)), "application/json");
            }
        }

        // Shapes and encodings: arrays, scalars, deep nesting, BOM, invalid UTF-8, wrong media types.
        yield return ([0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(Serialize(valid))], "application/json");
        yield return (Encoding.UTF8.GetBytes(new string('[', 5000)), "application/json");
        yield return ([0xFF, 0xFE, 0x00, 0x7B], "application/json");
        yield return ([0xED, 0xA0, 0x80], "application/json");
        yield return (Encoding.UTF8.GetBytes("null"), "application/json");
        yield return (Encoding.UTF8.GetBytes("[]"), "application/json");
        yield return (Encoding.UTF8.GetBytes("\"str\""), "application/json");
        yield return (Encoding.UTF8.GetBytes(Serialize(valid)), "text/plain");
        yield return (Encoding.UTF8.GetBytes(Serialize(valid)), null);
        yield return (Encoding.UTF8.GetBytes(Serialize(valid)), "application/json; charset=utf-16");
        while (true)
        {
            yield return (RandomBytes(random), "application/json");
        }
    }

    // Raw JSON fragments: System.Text.Json would escape what a hostile client sends as it is.
    private static IEnumerable<RawJson> HostileValues(Random random)
    {
        foreach (var text in HostileStrings.OrderBy(_ => random.Next()).Take(8))
        {
            yield return new RawJson(JsonString(text));
        }

        foreach (var number in HostileNumbers.OrderBy(_ => random.Next()).Take(3))
        {
            yield return new RawJson(number == "NaN" ? "\"NaN\"" : number);
        }

        yield return new RawJson("[]");
        yield return new RawJson("{}");
        yield return new RawJson("true");
        yield return new RawJson("null");
        yield return new RawJson("[\"\\u0000\"]");
    }

    // A JSON string literal that keeps lone surrogates and NUL as \u escapes, as an attacker writes them.
    private static string JsonString(string text)
    {
        var builder = new StringBuilder("\"");
        foreach (var c in text)
        {
            if (c is '"' or '\\' || c < ' ' || char.IsSurrogate(c) || c > '~')
            {
                builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.Append('"').ToString();
    }

    private static string Serialize(Dictionary<string, object?> body) =>
        "{" + string.Join(',', body.Select(pair => JsonString(pair.Key) + ":" + (pair.Value is RawJson raw ? raw.Json : JsonSerializer.Serialize(pair.Value)))) + "}";

    private static void Sign(string source, byte[] body, int i, Dictionary<string, string> headers, Random random, ref string query)
    {
        var signed = i % 4 != 3; // one in four goes unsigned or wrongly signed
        var text = Encoding.UTF8.GetString(body);
        switch (source)
        {
            case "lemlist":
                query = "?token=" + (signed ? FunctionsParityFixture.LemlistToken : Uri.EscapeDataString(Pick(random, HostileStrings)));
                break;
            case "hubspot":
                var ms = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                headers["X-HubSpot-Request-Timestamp"] = ms.ToString(CultureInfo.InvariantCulture);
                // HubSpot signs the body as text; an invalid UTF-8 body cannot be signed the same way, so it fails verification.
                headers["X-HubSpot-Signature-v3"] = signed ? Signatures.HubSpotV3(FunctionsParityFixture.HubSpotSecret, "POST", $"{FunctionsParityFixture.PublicBaseUrl}/api/webhooks/hubspot", text, ms) : "AAAA";
                break;
            case "std":
                var seconds = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
                var id = "msg_" + i.ToString(CultureInfo.InvariantCulture);
                headers["webhook-id"] = id;
                headers["webhook-timestamp"] = signed ? seconds.ToString(CultureInfo.InvariantCulture) : Pick(random, HostileNumbers);
                headers["webhook-signature"] = signed ? Signatures.StandardWebhooks(FunctionsParityFixture.StandardSecret, id, seconds, text) : "v1,AAAA";
                break;
        }
    }

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(1, 300)];
        random.NextBytes(bytes);
        return bytes;
    }

    private static T Pick<T>(Random random, IReadOnlyList<T> values) => values[random.Next(values.Count)];

    private async Task<int> SendToServerAsync(HostileRequest request)
    {
        using var message = new HttpRequestMessage(request.Method, request.PathAndQuery);
        if (request.Body is not null)
        {
            message.Content = new ByteArrayContent(request.Body);
            if (request.ContentType is not null)
            {
                message.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(request.ContentType);
            }
        }

        foreach (var (name, value) in request.Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await hosts.Server.Client.SendAsync(message, TestContext.Token);
        return (int)response.StatusCode;
    }

    private async Task<int> SendToFunctionsAsync(HostileRequest request) =>
        (await hosts.Functions.SendAsync(request.Method, request.PathAndQuery, request.Body, request.ContentType, request.Headers)).Status;

    private static async Task<string> StoredAsync(PostgresSchema schema)
    {
        await using var connection = await schema.DataSource.OpenConnectionAsync(TestContext.Token);
        var counts = await connection.QuerySingleAsync<(long, long, long, long, long)>(new CommandDefinition(
            "select (select count(*) from campaigns), (select count(*) from enrollments), (select count(*) from campaign_events), (select count(*) from dead_letters), (select count(*) from audit_log)",
            cancellationToken: TestContext.Token));
        return counts.ToString();
    }

    private static double PostgresErrors(IServiceProvider services) => services.GetRequiredService<SalesAutoMetrics>().PostgresErrors.Value;

    private sealed record RawJson(string Json);

    private sealed record HostileRequest(HttpMethod Method, string PathAndQuery, byte[]? Body, string? ContentType, IReadOnlyDictionary<string, string> Headers)
    {
        public override string ToString() =>
            $"{Method} {Shorten(PathAndQuery)} {ContentType} {(Body is null ? string.Empty : Shorten(Encoding.UTF8.GetString(Body)))}";

        private static string Shorten(string text) => text.Length <= 160 ? text : text[..160] + "...";
    }
}
