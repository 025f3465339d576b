using SalesAuto.Core.Tests.Infrastructure;
using Xunit.Abstractions;

namespace SalesAuto.Core.Tests.Resilience;

/// <summary>
/// Faults under load (ChaosScenario), small enough for the suite; bench/chaos.sh runs the same
/// scenario longer and bigger and appends its report to docs/benchmarks.md.
/// </summary>
public sealed class ChaosTests(ITestOutputHelper output)
{
    [Fact]
    public async Task EveryAcknowledgedEventIsStoredOnce_AndTheQueueDrains_WhenPostgresRedisAndTheServerAreRestartedUnderLoad()
    {
        await using var scenario = new ChaosScenario(ChaosSize.FromEnvironment());
        var report = await scenario.RunAsync(TestContext.Token);
        output.WriteLine(report.ToString());
        if (Environment.GetEnvironmentVariable("SALESAUTO_CHAOS_REPORT") is { Length: > 0 } path)
        {
            await File.WriteAllTextAsync(path, report + "\n", TestContext.Token);
        }

        Assert.Equal(0, report.Unexpected);
        Assert.Empty(scenario.MissingAcknowledged);
        Assert.Equal(0, report.StoredTwice);
        // Nothing given up on here: the retry window outlasts every fault. Were one given up, it is
        // accounted for above (stored anyway, or not stored and never acknowledged).
        Assert.Equal(0, report.GaveUp);
        Assert.Equal(report.Events, report.Acknowledged);
        Assert.Equal(report.Events, report.Stored);
        Assert.Equal(0, report.DeadLettered);
        Assert.True(report.StatsMatch, "campaign stats differ from what was sent");
        Assert.Equal(0, report.QueueLeftDue);
        Assert.Equal(0, report.QueueLeftLeased);
        Assert.Equal(4 * ChaosSize.FromEnvironment().FaultRounds, report.Faults.Count);
        Assert.True(report.Answered503 + report.ConnectionErrors + report.Timeouts > 0, "no fault was visible to the provider: the faults did not land during the load");
    }
}
