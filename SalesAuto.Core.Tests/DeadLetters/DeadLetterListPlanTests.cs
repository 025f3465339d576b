using System.Text.Json;
using SalesAuto.Core.DeadLetters;
using SalesAuto.Core.Tests.Infrastructure;
using static SalesAuto.Core.Tests.DeadLetters.DeadLetterTestData;

namespace SalesAuto.Core.Tests.DeadLetters;

/// <summary>
/// The list is served by an index in every shape it takes: EXPLAIN of the query the store runs,
/// on 50,000 analysed rows, shows no sequential scan of dead_letters and no sort step.
/// </summary>
public sealed class DeadLetterListPlanTests(PostgresSchema schema) : IClassFixture<PostgresSchema>, IAsyncLifetime
{
    private const int Rows = 50_000;

    public static TheoryData<string> Shapes => new(
        "first page",
        "deep cursor",
        "status failed",
        "status replayed",
        "status ignored, deep cursor",
        "source",
        "type, deep cursor",
        "status source type",
        "source type",
        "from to",
        "unknown source");

    public async Task InitializeAsync()
    {
        if (await ScalarAsync<long>(schema.DataSource, "select count(*) from dead_letters") >= Rows)
        {
            return;
        }

        // Mostly failed, as a real table is; three sources, five types, created one every 10 s, with ties.
        await ExecuteAsync(schema.DataSource, """
            insert into dead_letters (source, event_id, type, campaign_id, status, payload, failure_reason, attempts, first_seen_at, created_at, updated_at, resolved_at)
            select (array['lemlist', 'hubspot', 'standard'])[1 + i % 3],
                   'evt_' || i,
                   (array['email.opened', 'email.sent', 'email.clicked', 'email.replied', 'contact.created'])[1 + i % 5],
                   'cam_' || (i % 40),
                   (array['failed', 'failed', 'failed', 'replayed', 'ignored', 'replaying'])[1 + (i / 7) % 6],
                   jsonb_build_object('id', 'evt_' || i),
                   'enrollment not found after 6 attempts',
                   6,
                   timestamptz '2026-01-01' + make_interval(secs => i * 10 - 3600),
                   timestamptz '2026-01-01' + make_interval(secs => i * 10 - i % 2),
                   timestamptz '2026-01-01' + make_interval(secs => i * 10),
                   case when (i / 7) % 6 in (3, 4) then timestamptz '2026-01-01' + make_interval(secs => i * 10 + 60) end
            from generate_series(1, 50000) as i;
            analyze dead_letters;
            """);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task ListQuery_UsesAnIndexWithoutSorting_ForEveryShape(string shape)
    {
        var deep = new DeadLetterPosition(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(10 * (Rows - 40_000)), Guid.Empty);
        var (filter, after) = shape switch
        {
            "first page" => (DeadLetterFilter.None, (DeadLetterPosition?)null),
            "deep cursor" => (DeadLetterFilter.None, deep),
            "status failed" => (new DeadLetterFilter(Status: DeadLetterStatus.Failed), null),
            "status replayed" => (new DeadLetterFilter(Status: DeadLetterStatus.Replayed), null),
            "status ignored, deep cursor" => (new DeadLetterFilter(Status: DeadLetterStatus.Ignored), deep),
            "source" => (new DeadLetterFilter(Source: "hubspot"), null),
            "type, deep cursor" => (new DeadLetterFilter(Type: "email.clicked"), deep),
            "status source type" => (new DeadLetterFilter(DeadLetterStatus.Failed, "lemlist", "email.sent"), null),
            "source type" => (new DeadLetterFilter(Source: "standard", Type: "contact.created"), deep),
            "from to" => (new DeadLetterFilter(From: new DateTimeOffset(2026, 1, 2, 0, 0, 0, TimeSpan.Zero), To: new DateTimeOffset(2026, 1, 3, 0, 0, 0, TimeSpan.Zero)), null),
            "unknown source" => (new DeadLetterFilter(Source: "nobody"), null),
            _ => throw new ArgumentOutOfRangeException(nameof(shape)),
        };
        await using var command = PostgresDeadLetterStore.BuildListCommand(schema.DataSource.CreateCommand(), filter, after, 51);
        command.CommandText = "explain (format json) " + command.CommandText;
        var plan = (string?)await command.ExecuteScalarAsync(TestContext.Token);
        var nodes = Nodes(JsonDocument.Parse(plan!).RootElement[0].GetProperty("Plan")).ToList();

        Assert.DoesNotContain(nodes, node => node.GetProperty("Node Type").GetString() is "Seq Scan" && node.GetProperty("Relation Name").GetString() == "dead_letters");
        Assert.DoesNotContain(nodes, node => node.GetProperty("Node Type").GetString() is "Sort" or "Incremental Sort");
        Assert.Contains(nodes, node => node.TryGetProperty("Index Name", out var index) && index.GetString()!.StartsWith("dead_letters_", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ListQuery_ReturnsTheSameRows_AsAPlainOrderedQuery_OnALargeTable()
    {
        var store = new PostgresDeadLetterStore(schema.DataSource, TestCircuits.Create());
        var filter = new DeadLetterFilter(Status: DeadLetterStatus.Failed, Source: "lemlist");

        var first = await store.ListAsync(filter, null, 200, TestContext.Token);
        var last = first.Items[^1];
        var second = await store.ListAsync(filter, new DeadLetterPosition(last.CreatedAt, last.Id), 200, TestContext.Token);

        var expected = await QueryAsync<Guid>(schema.DataSource, "select id from dead_letters where status = 'failed' and source = 'lemlist' order by created_at desc, id desc limit 400");
        Assert.Equal(expected, first.Items.Concat(second.Items).Select(item => item.Id));
        Assert.True(second.HasMore);
    }

    private static IEnumerable<JsonElement> Nodes(JsonElement node)
    {
        yield return node;
        if (node.TryGetProperty("Plans", out var children))
        {
            foreach (var child in children.EnumerateArray().SelectMany(Nodes))
            {
                yield return child;
            }
        }
    }
}
