using System.Net;
using System.Text.Json;
using SalesAuto.Core.Tests.Infrastructure;
using static SalesAuto.Core.Tests.DeadLetters.DeadLetterTestData;

namespace SalesAuto.Core.Tests.DeadLetters;

/// <summary>One test on a schema of its own: the stats are table-wide, so no other test may add rows under it.</summary>
public sealed class DeadLetterStatsTests(DeadLetterApi api) : IClassFixture<DeadLetterApi>
{
    [Fact]
    public async Task Stats_MatchCountQueries_ThroughInsertsUpdatesAndDeletes()
    {
        // Empty: zeros, and no unresolved age.
        var empty = await StatsAsync();
        Assert.Equal(0, empty.GetProperty("total").GetInt64());
        Assert.Equal(JsonValueKind.Null, empty.GetProperty("oldestUnresolvedAgeSeconds").ValueKind);
        Assert.All(["failed", "replaying", "replayed", "ignored"], status => Assert.Equal(0, empty.GetProperty("byStatus").GetProperty(status).GetInt64()));
        Assert.Equal(0, empty.GetProperty("bySourceAndType").GetArrayLength());

        // Inserts: the retry cycle's path, and rows of every status.
        await api.Store.AddAsync([.. Enumerable.Range(0, 30).Select(i => New(i % 2 == 0 ? "lemlist" : "hubspot", $"a{i}", i % 3 == 0 ? "email.opened" : "contact.created"))], TestContext.Token);
        await api.Store.AddAsync([New("lemlist", "a0"), New("lemlist", "a2")], TestContext.Token);
        var oldest = await InsertAsync(api.DataSource, "standard", "old", "email.sent", createdAt: DateTimeOffset.UtcNow.AddHours(-2));
        await InsertAsync(api.DataSource, "standard", "older-but-resolved", "email.sent", status: "replayed", createdAt: DateTimeOffset.UtcNow.AddDays(-3));
        await InsertAsync(api.DataSource, "standard", "ignored-long-ago", "email.sent", status: "ignored", createdAt: DateTimeOffset.UtcNow.AddDays(-4));
        await AssertStatsMatchTableAsync();

        var age = (await StatsAsync()).GetProperty("oldestUnresolvedAgeSeconds").GetInt64();
        Assert.InRange(age, 7200, 7200 + 120);

        // Updates: ignore over HTTP, replays as the replay code will write them, a replaying row failing again.
        var ids = await QueryAsync<Guid>(api.DataSource, "select id from dead_letters where source = 'hubspot' order by event_id limit 8");
        await PostJsonAsync(api.Server.Admin, "/api/dlq/ignore", JsonSerializer.Serialize(new { ids = ids.Take(4) }));
        await ExecuteAsync(api.DataSource, "update dead_letters set status = 'replaying', replay_count = replay_count + 1 where id = any(@ids)", new { ids = ids.Skip(4).ToArray() });
        await AssertStatsMatchTableAsync();
        await api.Store.MarkReplayedAsync(ids.Skip(4).Take(2).ToList(), TestContext.Token);
        await api.Store.AddAsync([.. (await QueryAsync<string>(api.DataSource, "select event_id from dead_letters where status = 'replaying'")).Select(e => New("hubspot", e))], TestContext.Token);
        await AssertStatsMatchTableAsync();

        // The oldest unresolved one resolved: the age moves to the next.
        await PostJsonAsync(api.Server.Admin, "/api/dlq/ignore", JsonSerializer.Serialize(new { ids = new[] { oldest } }));
        Assert.True((await StatsAsync()).GetProperty("oldestUnresolvedAgeSeconds").GetInt64() < 600);

        // Deletes: retention's and a manual one.
        await ExecuteAsync(api.DataSource, "delete from dead_letters where status in ('replayed', 'ignored')");
        await ExecuteAsync(api.DataSource, "delete from dead_letters where source = 'lemlist' and event_id in ('a4', 'a6')");
        await AssertStatsMatchTableAsync();

        await ExecuteAsync(api.DataSource, "delete from dead_letters");
        var cleared = await StatsAsync();
        Assert.Equal(0, cleared.GetProperty("total").GetInt64());
        Assert.Equal(0, cleared.GetProperty("bySourceAndType").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, cleared.GetProperty("oldestUnresolvedAgeSeconds").ValueKind);
    }

    private async Task<JsonElement> StatsAsync()
    {
        var (status, body, _) = await GetAsync(api.Server.Admin, "/api/dlq/stats");
        Assert.Equal(HttpStatusCode.OK, status);
        return body;
    }

    private async Task AssertStatsMatchTableAsync()
    {
        var stats = await StatsAsync();
        var counted = await QueryAsync<(string Source, string Type, string Status, long Count)>(
            api.DataSource, "select source, type, status, count(*) from dead_letters group by source, type, status order by source, type, status");

        Assert.Equal(counted.Sum(c => c.Count), stats.GetProperty("total").GetInt64());
        foreach (var status in new[] { "failed", "replaying", "replayed", "ignored" })
        {
            Assert.Equal(counted.Where(c => c.Status == status).Sum(c => c.Count), stats.GetProperty("byStatus").GetProperty(status).GetInt64());
        }

        var reported = stats.GetProperty("bySourceAndType").EnumerateArray()
            .Select(e => (e.GetProperty("source").GetString()!, e.GetProperty("type").GetString()!, e.GetProperty("status").GetString()!, e.GetProperty("count").GetInt64()))
            .ToList();
        Assert.Equal(counted, reported);
    }
}
