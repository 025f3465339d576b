using System.Net;
using Dapper;
using SalesAuto.Core.Privacy;
using SalesAuto.Core.Tests.Infrastructure;
using static SalesAuto.Core.Tests.Privacy.PrivacyTestSupport;

namespace SalesAuto.Core.Tests.Privacy;

/// <summary>
/// A real crash: SalesAuto.Server in a child process erases a person and is killed (SIGKILL) after
/// the suppression and Redis steps, while its Postgres step waits on a row lock the test holds; a
/// repeat of the erase on another server finishes the job.
/// </summary>
public sealed class PrivacyCrashTests(PrivacyServerFixture fixture) : IClassFixture<PrivacyServerFixture>
{
    private RunningServer Server => fixture.Server;

    [Fact]
    public async Task Erase_KilledBetweenStores_IsFinishedByARepeat_AndLeavesNoTrace()
    {
        var ann = Person.New();
        List<string> campaigns = [$"cam_{Guid.NewGuid():N}", $"cam_{Guid.NewGuid():N}"];
        foreach (var campaign in campaigns)
        {
            await EnrollAsync(Server, campaign, ann);
            await PostLemlistAsync(Server, campaign, ann.Email);
        }

        await PostHubSpotAsync(Server, ann.CrmContactId, 2);
        Assert.Equal(1, (await PostLemlistAsync(Server, $"cam_{Guid.NewGuid():N}", ann.Email)).GetProperty("orphaned").GetInt32());
        var statsBefore = await Task.WhenAll(campaigns.Select(async c => (await GetStatsAsync(Server, c)).GetRawText()));

        await using var child = await ServerProcess.StartAsync(
            new Dictionary<string, string?>
            {
                ["ConnectionStrings:Postgres"] = fixture.Schema.ConnectionString,
                ["ConnectionStrings:Redis"] = TestEnvironment.RedisConnectionString,
                ["RetryQueue:KeyPrefix"] = fixture.KeyPrefix,
                ["RetryQueue:CycleEnabled"] = "false",
                ["Admin:Keys:tests"] = RunningServer.AdminKey,
                ["Privacy:HashKeys:0"] = RunningServer.PrivacyHashKey,
                ["Logging:LogLevel:Default"] = "Information",
            },
            TestContext.Token);
        await using var blocker = await fixture.Schema.DataSource.OpenConnectionAsync(TestContext.Token);
        await using var hold = await blocker.BeginTransactionAsync(TestContext.Token);
        // The erase's Postgres step locks the person's enrollments first: it waits here.
        var held = await blocker.QueryAsync<long>("select id from enrollments where email = @email for update", new { email = ann.Email }, hold);
        Assert.Equal(campaigns.Count, held.Count());

        using var client = new HttpClient { BaseAddress = child.BaseAddress, Timeout = TimeSpan.FromMinutes(5) };
        client.DefaultRequestHeaders.Add("x-functions-key", RunningServer.AdminKey);
        var erase = client.PostAsync("/api/privacy/erase", RunningServer.Json($$"""{"email":"{{ann.Email}}"}"""), TestContext.Token);

        var hash = TestHasher.Instance.Current(PersonIdentifier.Email(ann.Email));
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (!(await ScalarAsync<long>("select count(*) from suppressions where hash = @hash", new { hash }) == 1
                 && (await FindInRedisAsync(Server, fixture.KeyPrefix, ann.Email)).Count == 0
                 && await ScalarAsync<long>("select count(*) from pg_stat_activity where wait_event_type = 'Lock' and query like '%erased_enrollments%'", null) >= 1))
        {
            Assert.True(DateTime.UtcNow < deadline, $"the child's erase did not reach its Postgres step: {child.Output}");
            Assert.False(erase.IsCompleted, $"the erase finished while its Postgres step was blocked: {child.Output}");
            await Task.Delay(50, TestContext.Token);
        }

        await child.KillAsync(TestContext.Token);
        await Assert.ThrowsAnyAsync<Exception>(() => erase);
        await hold.RollbackAsync(TestContext.Token);

        // Killed between the stores: suppressed, gone from Redis, still in Postgres.
        Assert.NotEmpty(await FindInPostgresAsync(fixture.Schema, ann.Email));
        Assert.Empty(await FindInRedisAsync(Server, fixture.KeyPrefix, ann.Email));
        Assert.Equal(1, (await PostHubSpotAsync(Server, ann.CrmContactId)).GetProperty("suppressed").GetInt32());

        var (status, repeat, _) = await PostAdminAsync(Server, "/api/privacy/erase", $$"""{"email":"{{ann.Email}}"}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(repeat.GetProperty("found").GetBoolean());
        Assert.Equal(campaigns.Count, repeat.GetProperty("postgres").GetProperty("enrollments").GetInt64());
        Assert.Equal(0, repeat.GetProperty("redis").GetProperty("orphans").GetInt64());
        foreach (var needle in new[] { ann.Email, ann.CrmContactId })
        {
            Assert.Empty(await FindInPostgresAsync(fixture.Schema, needle));
            Assert.Empty(await FindInRedisAsync(Server, fixture.KeyPrefix, needle));
            Assert.Empty(FindInLogs(fixture.Logs, needle));
            Assert.DoesNotContain(needle, child.Output, StringComparison.Ordinal);
        }

        Assert.Equal(statsBefore, await Task.WhenAll(campaigns.Select(async c => (await GetStatsAsync(Server, c)).GetRawText())));
    }

    private async Task<T> ScalarAsync<T>(string sql, object? parameters)
    {
        await using var connection = await fixture.Schema.DataSource.OpenConnectionAsync(TestContext.Token);
        return await connection.ExecuteScalarAsync<T>(new CommandDefinition(sql, parameters, cancellationToken: TestContext.Token)) ?? throw new InvalidOperationException("no value");
    }
}
