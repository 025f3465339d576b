using System.Globalization;
using System.Text;
using System.Text.Json;
using SalesAuto.Core.Events;
using SalesAuto.Core.Tests.Infrastructure;
using SalesAuto.Core.Webhooks;
using SalesAuto.Core.Webhooks.Sources.HubSpot;
using SalesAuto.Core.Webhooks.Sources.Lemlist;
using static SalesAuto.Core.Tests.Webhooks.WebhookTestSupport;

namespace SalesAuto.Core.Tests.Webhooks;

/// <summary>
/// Whatever a client sends, the parser answers (never throws), and whatever it accepts is something
/// Postgres stores: payloads go into jsonb columns, where a bad value would be a 500.
/// </summary>
public sealed class WebhookParserFuzzTests(PostgresSchema schema) : IClassFixture<PostgresSchema>
{
    private const int Iterations = 4000;

    private static readonly WebhookSourceKind[] Kinds = [WebhookSourceKind.HubSpot, WebhookSourceKind.Lemlist, WebhookSourceKind.StandardWebhooks];

    private static readonly string[] FieldNames =
    [
        "id", "type", "occurredAt", "campaignId", "email", "crmContactId", "data",
        "_id", "createdAt", "leadEmail", "eventId", "subscriptionId", "portalId", "subscriptionType", "objectId",
    ];

    [Fact]
    public async Task Parse_NeverThrows_AndAcceptsOnlyWhatPostgresStores()
    {
        var random = new Random(20261123);
        var samples = new[] { Sample("hubspot-batch.json"), Sample("lemlist-activity.json"), Sample("canonical-events.json") };
        var accepted = new List<CanonicalEvent>();
        var rejected = 0;

        for (var i = 0; i < Iterations; i++)
        {
            var body = (i % 4) switch
            {
                0 => RandomBytes(random),
                1 => Mutate(random, samples[random.Next(samples.Length)]),
                _ => Encoding.UTF8.GetBytes(RandomBody(random)),
            };

            foreach (var kind in Kinds)
            {
                var result = Parse(kind, body, i);
                if (result.Succeeded)
                {
                    AssertWellFormed(result.Events);
                    accepted.AddRange(result.Events);
                }
                else
                {
                    Assert.False(string.IsNullOrWhiteSpace(result.Error));
                    Assert.Empty(result.Events);
                    rejected++;
                }
            }
        }

        // The generator must reach both paths, or the test proves little.
        Assert.True(accepted.Count > 500, $"only {accepted.Count} events were accepted");
        Assert.True(rejected > 500, $"only {rejected} bodies were rejected");

        // One statement: it fails as a whole if Postgres refuses a single payload as jsonb.
        await using var command = schema.DataSource.CreateCommand("select count(*) from unnest($1::text[]) as p(payload) where payload::jsonb is not null");
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = accepted.Select(e => e.Payload).ToArray() });
        Assert.Equal((long)accepted.Count, await command.ExecuteScalarAsync(TestContext.Token));
    }

    [Theory]
    [InlineData("\"\\u0000\"")]
    [InlineData("\"\\ud800\"")]
    [InlineData("\"\\udfff\\ud800\"")]
    [InlineData("1e131072")]
    [InlineData("1e-16384")]
    [InlineData("-1e131072")]
    public async Task Parse_Refuses_WhatPostgresJsonbRefuses(string value)
    {
        var body = $$"""{"id":"e","type":"t","occurredAt":"2026-11-23T10:00:00Z","crmContactId":"1","data":{{value}}}""";
        await using var command = schema.DataSource.CreateCommand("select $1::jsonb");
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = body });

        // The premise: Postgres refuses this payload...
        await Assert.ThrowsAsync<Npgsql.PostgresException>(() => command.ExecuteScalarAsync(TestContext.Token));
        // ...so the parser refuses it first, with a 400 instead of a 500.
        Assert.False(WebhookParser.Parse("src", WebhookSourceKind.StandardWebhooks, Encoding.UTF8.GetBytes(body)).Succeeded);
    }

    private static ParseResult Parse(WebhookSourceKind kind, byte[] body, int iteration)
    {
        try
        {
            return WebhookParser.Parse("src", kind, body);
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"Parse threw on iteration {iteration} ({kind}) for body {Convert.ToBase64String(body)}: {e}");
        }
    }

    private static void AssertWellFormed(IReadOnlyList<CanonicalEvent> events)
    {
        Assert.InRange(events.Count, 1, WebhookParser.MaxEvents);
        foreach (var e in events)
        {
            Assert.Equal("src", e.Source);
            Assert.InRange(e.EventId.Length, 1, 200 + 3 * 21);
            Assert.InRange(e.Type.Length, 1, WebhookParser.MaxTypeLength);
            Assert.True(e.Email is null || (e.Email.Length <= WebhookParser.MaxEmailLength && e.Email == e.Email.ToLowerInvariant() && e.Email.Contains('@', StringComparison.Ordinal)));
            Assert.True(e.CampaignId is null || e.CampaignId.Length <= WebhookParser.MaxIdLength);
            Assert.True(e.CrmContactId is null || e.CrmContactId.Length <= WebhookParser.MaxIdLength);
            using var payload = JsonDocument.Parse(e.Payload);
            Assert.Equal(JsonValueKind.Object, payload.RootElement.ValueKind);
        }
    }

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(0, 300)];
        random.NextBytes(bytes);
        return bytes;
    }

    // Byte-level damage to a real payload: flips, cuts, repeats and stray characters.
    private static byte[] Mutate(Random random, byte[] sample)
    {
        var bytes = sample.ToList();
        var edits = random.Next(1, 6);
        for (var e = 0; e < edits && bytes.Count > 0; e++)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(5))
            {
                case 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    bytes.RemoveRange(at, Math.Min(random.Next(1, 20), bytes.Count - at));
                    break;
                case 2:
                    bytes.InsertRange(at, bytes.Skip(at).Take(random.Next(1, 40)).ToArray());
                    break;
                case 3:
                    bytes.InsertRange(at, Encoding.UTF8.GetBytes(Pick(random, ["\"", "{", "]", ",", "null", "\\u0000", "\\ud800", "1e999999", "-0", "😀", "\0"])));
                    break;
                default:
                    bytes[at] = (byte)random.Next(256);
                    break;
            }
        }

        return [.. bytes];
    }

    // Random JSON built from the fields the parsers read (all kinds' at once), mostly good values and
    // some bad ones of every sort, so that both acceptance and every kind of refusal are reached.
    private static string RandomBody(Random random) => random.Next(2) == 0
        ? RandomEventJson(random, depth: 0)
        : "[" + string.Join(",", Enumerable.Range(0, random.Next(0, 4)).Select(_ => random.Next(15) == 0 ? RandomValue(random, "x", 0) : RandomEventJson(random, depth: 0))) + "]";

    private static string RandomEventJson(Random random, int depth)
    {
        var fields = new List<string>();
        foreach (var name in FieldNames)
        {
            if (random.Next(12) > 0)
            {
                fields.Add($"{JsonSerializer.Serialize(name)}:{RandomValue(random, name, depth)}");
            }
        }

        return "{" + string.Join(",", fields.OrderBy(_ => random.Next())) + "}";
    }

    private static string RandomValue(Random random, string field, int depth)
    {
        switch (random.Next(60))
        {
            case 0:
                return "null";
            case 1:
                return random.Next(2) == 0 ? "true" : "false";
            case 2:
                return Pick(random, ["0", "-1", "1.5", "1e400", "-1e-400", "9223372036854775808", "1763892000123", "253402300800000", "1e1001", "123456789012345678901234567890"]);
            case 3:
                return JsonSerializer.Serialize(Pick(random, ["", " ", "x", new string('a', 201), new string('é', 101), "ÄNN@EXAMPLE.COM", " a@b.c ", "@", "a@", "😀@😀", "\t"]));
            case 4:
                return "\"" + Pick(random, ["\\u0000", "\\ud800", "\\udc00x", "\\ud83d\\ude00", "\\\"", "\\\\u0000", "\\n"]) + "\"";
            case 5:
                return JsonSerializer.Serialize(Pick(random, ["2026-11-23T10:00:00Z", "2026-11-23T10:00:00+02:00", "2026-11-23T10:00:00", "2026-11-23", "9999-12-31T23:59:59.9999999Z", "0001-01-01T00:00:00Z", "not a date"]));
            case 6:
                return depth < 3 ? RandomEventJson(random, depth + 1) : "{}";
            default:
                return field switch
                {
                    "eventId" or "subscriptionId" or "portalId" or "objectId" => random.Next(1, 100_000).ToString(CultureInfo.InvariantCulture),
                    "occurredAt" when random.Next(2) == 0 => (1763892000000L + random.Next()).ToString(CultureInfo.InvariantCulture),
                    "occurredAt" or "createdAt" => "\"2026-11-23T10:00:00Z\"",
                    "type" => JsonSerializer.Serialize(Pick(random, [.. EventTypes.All, .. LemlistSource.Instance.TypeMap.Keys, "custom.thing"])),
                    "subscriptionType" => JsonSerializer.Serialize(Pick(random, [.. HubSpotSource.Instance.TypeMap.Keys, "deal.creation"])),
                    "email" or "leadEmail" => "\"Ann@Example.com\"",
                    "data" => """{"nested":[1,{"deeper":"yes"}],"text":"\u00e9"}""",
                    _ => JsonSerializer.Serialize($"{field}_{random.Next(1000)}"),
                };
        }
    }

    private static string Pick(Random random, string[] choices) => choices[random.Next(choices.Length)];
}
