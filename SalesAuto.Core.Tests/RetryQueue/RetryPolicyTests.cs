using Microsoft.Extensions.Options;
using SalesAuto.Core.Events;
using SalesAuto.Core.RetryQueue;

namespace SalesAuto.Core.Tests.RetryQueue;

public class RetryPolicyTests
{
    private static readonly RetryPolicy Policy = new(Options.Create(new RetryQueueOptions
    {
        Delays = [TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15), TimeSpan.FromMinutes(1)],
        JitterMax = TimeSpan.Zero,
        MaxAttempts = 3,
    }));

    [Theory]
    [InlineData(EventOutcome.Applied)]
    [InlineData(EventOutcome.Duplicate)]
    [InlineData(EventOutcome.Suppressed)]
    public void Decide_Resolves_WhenTheEventNeedsNoRetry(EventOutcome outcome)
    {
        Assert.IsType<RetryDecision.Resolve>(Policy.Decide(RedisQueueFixture.Orphan("evt_1", attempts: 2), outcome));
    }

    [Fact]
    public void Decide_ReschedulesWithTheNextDelayAndSaysWhichAttempt_WhenAttemptsRemain()
    {
        var decision = Policy.Decide(RedisQueueFixture.Orphan("evt_1", attempts: 1), EventOutcome.Orphan);

        Assert.Equal(new RetryDecision.Reschedule(TimeSpan.FromMinutes(1), 2, "enrollment not found (attempt 2 of 3)"), decision);
    }

    [Fact]
    public void Decide_DeadLetters_WhenTheLastAttemptFails()
    {
        var decision = Policy.Decide(RedisQueueFixture.Orphan("evt_1", attempts: 2), EventOutcome.Orphan);

        Assert.Equal(new RetryDecision.DeadLetter(3, "enrollment not found after 3 attempts"), decision);
    }

    [Fact]
    public void NextDelay_RepeatsTheLastDelay_AndAddsJitterWithinJitterMax()
    {
        var jittery = new RetryPolicy(Options.Create(new RetryQueueOptions { Delays = [TimeSpan.FromSeconds(5)], JitterMax = TimeSpan.FromSeconds(1) }));

        var delays = Enumerable.Range(0, 200).Select(_ => jittery.NextDelay(7)).ToList();

        Assert.Equal(TimeSpan.FromSeconds(5), jittery.DelayAfter(7));
        Assert.All(delays, d => Assert.InRange(d, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(6)));
        Assert.True(delays.Distinct().Count() > 1, "jitter spreads the delays");
    }
}
