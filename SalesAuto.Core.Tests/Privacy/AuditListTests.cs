using System.Net;
using System.Text.Json;
using Dapper;
using SalesAuto.Core.Audit;
using SalesAuto.Core.DeadLetters;
using SalesAuto.Core.Events;
using SalesAuto.Core.Tests.Infrastructure;

namespace SalesAuto.Core.Tests.Privacy;

/// <summary><c>GET /api/audit</c> and audit retention, on a schema of their own (the unfiltered list sees only this class's rows).</summary>
public sealed class AuditListTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private RunningServer Server => fixture.Server;

    private PostgresAuditLog Log => Server.Services.GetRequiredService<PostgresAuditLog>();

    // One page query serves both lists: the same mistake gets the same 400, naming the same parameter.
    [Theory]
    [InlineData("limit=0", "invalid-request")]
    [InlineData("limit=201", "invalid-request")]
    [InlineData("limit=5&limit=6", "invalid-request")]
    [InlineData("from=2026-13-01", "invalid-request")]
    [InlineData("from=2026-01-01T10:00:00 01:00", "invalid-request")]
    [InlineData("to=2026-01-01&to=2026-01-02", "invalid-request")]
    [InlineData("cursor=a&cursor=b", "invalid-request")]
    [InlineData("cursor=AAAA", "invalid-cursor")]
    public async Task List_AnswersTheSameProblem_AsTheDeadLetterList_ForTheSameBadPageQuery(string query, string slug)
    {
        using var audit = await Server.Admin.GetAsync($"/api/audit?{query}", TestContext.Token);
        using var deadLetters = await Server.Admin.GetAsync($"/api/dlq?{query}", TestContext.Token);
        var auditProblem = JsonDocument.Parse(await audit.Content.ReadAsStringAsync(TestContext.Token)).RootElement;
        var deadLetterProblem = JsonDocument.Parse(await deadLetters.Content.ReadAsStringAsync(TestContext.Token)).RootElement;

        Assert.Equal(HttpStatusCode.BadRequest, audit.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, deadLetters.StatusCode);
        Assert.Equal($"urn:salesauto:problem:{slug}", auditProblem.GetProperty("type").GetString());
        Assert.Equal(deadLetterProblem.GetProperty("type").GetString(), auditProblem.GetProperty("type").GetString());
        Assert.Equal(deadLetterProblem.GetProperty("detail").GetString(), auditProblem.GetProperty("detail").GetString());
        Assert.Contains($"'{query.Split('=')[0]}'", auditProblem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_PagesNewestFirst_ThroughEveryEntry_OnceEach_WithTiesBrokenById()
    {
        var actor = Unique("pager");
        // One statement: 12 rows share their time (now() of the transaction); then 9 more, one by one.
        await Log.WriteAsync([.. Enumerable.Range(0, 12).Select(i => new AuditRecord(actor, AuditActions.Export, "exported", null, new { i }))], TestContext.Token);
        for (var i = 0; i < 9; i++)
        {
            await Log.WriteAsync([new AuditRecord(actor, AuditActions.Erase, "erased", [.. new byte[32]], new { i })], TestContext.Token);
        }

        var expected = (await QueryAsync<long>("select id from audit_log where actor = @actor order by at desc, id desc", new { actor })).ToList();
        var seen = await PageAllAsync($"actor={actor}&limit=5");

        Assert.Equal(21, expected.Count);
        Assert.Equal(expected, seen.Select(e => e.GetProperty("id").GetInt64()));
        var newest = seen[0];
        Assert.Equal("erase", newest.GetProperty("action").GetString());
        Assert.Equal(new string('0', 64), newest.GetProperty("subject").GetString());
        Assert.Equal(8, newest.GetProperty("detail").GetProperty("i").GetInt32());
    }

    [Fact]
    public async Task List_Unfiltered_CoversEveryRow_IncludingDeadLetterActions()
    {
        var source = Unique("src");
        await Server.Services.GetRequiredService<IDeadLetterStore>().AddAsync(
            [new NewDeadLetter(new CanonicalEvent(source, "e1", "email.sent", DateTimeOffset.UtcNow, "cam", null, "42", "{}"), 6, DateTimeOffset.UtcNow, "enrollment not found after 6 attempts")], TestContext.Token);
        var id = (await QueryAsync<Guid>("select id from dead_letters where source = @source", new { source })).Single();
        using (var ignore = await Server.Admin.PostAsync("/api/dlq/ignore", RunningServer.Json($$"""{"ids":["{{id}}"],"reason":"test"}"""), TestContext.Token))
        {
            ignore.EnsureSuccessStatusCode();
        }

        var all = await PageAllAsync("limit=200");

        Assert.Equal(await QueryAsync<long>("select count(*) from audit_log", null).ContinueWith(t => t.Result.Single()), all.Count);
        var entry = Assert.Single(all, e => e.GetProperty("deadLetterId").ValueKind == JsonValueKind.String && e.GetProperty("deadLetterId").GetGuid() == id);
        Assert.Equal(("ignore", "tests", "ignored"), (entry.GetProperty("action").GetString(), entry.GetProperty("actor").GetString(), entry.GetProperty("outcome").GetString()));
        Assert.Equal("test", entry.GetProperty("detail").GetProperty("reason").GetString());
        var ignores = await PageAllAsync($"action=ignore&actor=tests");
        Assert.Contains(ignores, e => e.GetProperty("deadLetterId").GetString() == id.ToString());
        Assert.All(ignores, e => Assert.Equal("ignore", e.GetProperty("action").GetString()));
    }

    [Fact]
    public async Task List_FiltersByActionActorAndTime_BothBoundsInclusive()
    {
        var actor = Unique("times");
        var other = Unique("other");
        await ExecuteAsync("""
            insert into audit_log (at, actor, action, outcome) values
                ('2026-01-01T00:00:00Z', @actor, 'erase', 'erased'),
                ('2026-01-02T00:00:00Z', @actor, 'erase', 'nothing_found'),
                ('2026-01-02T00:00:00Z', @actor, 'export', 'exported'),
                ('2026-01-03T00:00:00Z', @actor, 'erase', 'erased'),
                ('2026-01-02T00:00:00Z', @other, 'erase', 'erased')
            """, new { actor, other });

        var erases = await PageAllAsync($"actor={actor}&action=erase&from=2026-01-02&to=2026-01-03T00:00:00Z&limit=1");
        var fromOnly = await PageAllAsync($"actor={actor}&from=2026-01-02T00:00:00.000001Z");
        var toOnly = await PageAllAsync($"actor={actor}&to=2026-01-01");

        Assert.Equal(["2026-01-03", "2026-01-02"], erases.Select(e => e.GetProperty("at").GetDateTimeOffset().ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.All(erases, e => Assert.Equal(actor, e.GetProperty("actor").GetString()));
        Assert.Equal("2026-01-03", Assert.Single(fromOnly).GetProperty("at").GetDateTimeOffset().ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("erased", Assert.Single(toOnly).GetProperty("outcome").GetString());
    }

    [Theory]
    [InlineData("limit=0", "'limit'")]
    [InlineData("limit=201", "'limit'")]
    [InlineData("limit=ten", "'limit'")]
    [InlineData("action=delete", "'action'")]
    [InlineData("action=", "'action'")]
    [InlineData("action=erase&action=export", "'action' is given 2 times")]
    [InlineData("from=yesterday", "'from'")]
    [InlineData("from=2026-01-03&to=2026-01-02", "'from'")]
    [InlineData("cursor=not-a-cursor", "cursor is not one this API issued")]
    [InlineData("cursor=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "cursor is not one this API issued")]
    public async Task List_Is400NamingTheParameter_WhenAQueryParameterIsWrong(string query, string expected)
    {
        using var response = await Server.Admin.GetAsync($"/api/audit?{query}", TestContext.Token);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Token)).RootElement;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(expected, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cursor_IsRefused_WithOtherFilters_AndWithoutAKeyTheListIs401()
    {
        var actor = Unique("cursor");
        await Log.WriteAsync([.. Enumerable.Range(0, 3).Select(_ => new AuditRecord(actor, AuditActions.Export, "exported", null, null))], TestContext.Token);
        var first = await GetAsync($"actor={actor}&limit=1");
        var cursor = first.GetProperty("nextCursor").GetString()!;

        using var same = await Server.Admin.GetAsync($"/api/audit?actor={actor}&limit=1&cursor={cursor}", TestContext.Token);
        using var other = await Server.Admin.GetAsync($"/api/audit?actor={actor}&action=export&limit=1&cursor={cursor}", TestContext.Token);
        // The second-to-last character holds six bits of the filter digest: a different one always
        // breaks it ("AA" in place of the last two did not when those bits were zero, 1 run in 256).
        var tamperedCursor = $"{cursor[..^2]}{(cursor[^2] == 'A' ? 'B' : 'A')}{cursor[^1]}";
        using var tampered = await Server.Admin.GetAsync($"/api/audit?actor={actor}&limit=1&cursor={tamperedCursor}", TestContext.Token);
        using var anonymous = await Server.Client.GetAsync("/api/audit", TestContext.Token);

        Assert.Equal(HttpStatusCode.OK, same.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, other.StatusCode);
        Assert.Contains("other filters", await other.Content.ReadAsStringAsync(TestContext.Token), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, tampered.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task Retention_DeletesAuditRowsOlderThanAuditRetentionAge_AndKeepsTheRest()
    {
        var actor = Unique("retention");
        await ExecuteAsync("""
            insert into audit_log (at, actor, action, outcome) values
                (now() - interval '401 days', @actor, 'erase', 'erased'),
                (now() - interval '399 days', @actor, 'export', 'exported')
            """, new { actor });
        Assert.Equal(TimeSpan.FromDays(400), new AuditOptions().RetentionAge);

        await Server.Services.GetRequiredService<DeadLetterRetention>().RunAsync(TestContext.Token);

        Assert.Equal(["export"], await QueryAsync<string>("select action from audit_log where actor = @actor", new { actor }));
    }

    private async Task<List<JsonElement>> PageAllAsync(string query)
    {
        var items = new List<JsonElement>();
        string? cursor = null;
        for (var pages = 0; pages < 1000; pages++)
        {
            var page = await GetAsync(cursor is null ? query : $"{query}&cursor={cursor}");
            items.AddRange(page.GetProperty("items").EnumerateArray().Select(e => e.Clone()));
            var next = page.GetProperty("nextCursor");
            if (next.ValueKind == JsonValueKind.Null)
            {
                return items;
            }

            cursor = next.GetString();
        }

        throw new InvalidOperationException("the list did not end");
    }

    private async Task<JsonElement> GetAsync(string query)
    {
        using var response = await Server.Admin.GetAsync($"/api/audit?{query}", TestContext.Token);
        var text = await response.Content.ReadAsStringAsync(TestContext.Token);
        Assert.True(response.IsSuccessStatusCode, text);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private async Task<IEnumerable<T>> QueryAsync<T>(string sql, object? parameters)
    {
        await using var connection = await fixture.Schema.DataSource.OpenConnectionAsync(TestContext.Token);
        return (await connection.QueryAsync<T>(new CommandDefinition(sql, parameters, cancellationToken: TestContext.Token))).ToList();
    }

    private async Task ExecuteAsync(string sql, object parameters)
    {
        await using var connection = await fixture.Schema.DataSource.OpenConnectionAsync(TestContext.Token);
        await connection.ExecuteAsync(new CommandDefinition(sql, parameters, cancellationToken: TestContext.Token));
    }

    private static string Unique(string stem) => TestEnvironment.UniqueName(stem);
}
