using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Polly.CircuitBreaker;
using SalesAuto.Core.Observability;
using SalesAuto.Core.Resilience;
using SalesAuto.Core.Tests.Infrastructure;
using StackExchange.Redis;

namespace SalesAuto.Core.Tests.Resilience;

public sealed class DependencyCircuitTests
{
    [Theory]
    [InlineData("08006", true)] // connection failure
    [InlineData("57P01", true)] // admin shutdown (a fast restart)
    [InlineData("57P03", true)] // cannot connect now (starting up, recovering)
    [InlineData("53300", true)] // too many connections
    [InlineData("57014", true)] // statement timeout
    [InlineData("22021", false)] // invalid byte sequence: bad data
    [InlineData("23505", false)] // unique violation: bad data or a bug
    [InlineData("40001", false)] // serialization failure: contention, retried
    [InlineData("40P01", false)] // deadlock: contention, retried
    [InlineData("42P01", false)] // undefined table: a bug
    public void IsPostgresOutage_CountsOnlyOutages(string sqlState, bool outage) =>
        Assert.Equal(outage, DependencyFailures.IsPostgresOutage(new PostgresException("m", "ERROR", "ERROR", sqlState)));

    [Fact]
    public void IsRedisOutage_CountsConnectionAndTimeout_NotScriptErrors()
    {
        Assert.True(DependencyFailures.IsRedisOutage(new RedisTimeoutException(CommandFlags.None, "t", CommandStatus.Sent)));
        Assert.True(DependencyFailures.IsRedisOutage(new RedisConnectionException(ConnectionFailureType.SocketFailure, CommandFlags.None, "c", null, CommandStatus.Sent)));
        Assert.False(DependencyFailures.IsRedisOutage(new RedisServerException(RedisErrorKind.Unknown, CommandFlags.None, "ERR user_script:1: Script attempted to access nonexistent global variable")));
        Assert.True(DependencyFailures.IsRedisOutage(new RedisServerException(RedisErrorKind.Loading, CommandFlags.None, "LOADING Redis is loading the dataset in memory")));
        Assert.False(DependencyFailures.IsRedisOutage(new InvalidOperationException()));
    }

    [Fact]
    public async Task Execute_LeavesBreakerClosed_WhenEveryCallFailsWithBadData()
    {
        var metrics = new SalesAutoMetrics();
        var circuit = TestCircuits.Create(metrics).Postgres;

        for (var i = 0; i < 20; i++)
        {
            await Assert.ThrowsAsync<PostgresException>(() => circuit.ExecuteAsync<int>(_ => throw new PostgresException("m", "ERROR", "ERROR", "22021"), TestContext.Token));
        }

        Assert.Equal(CircuitState.Closed, circuit.State);
        Assert.Equal(0, metrics.CircuitState.WithLabels("postgres").Value);
    }

    [Fact]
    public async Task Execute_OpensAfterOutagesAndRefusesWithRetryAfter_ThenClosesOnASuccessfulProbe()
    {
        var metrics = new SalesAutoMetrics();
        var options = new ResilienceOptions { MinimumThroughput = 2, BreakDuration = TimeSpan.FromMilliseconds(500), AttemptTimeout = TimeSpan.FromMilliseconds(200) };
        var circuits = new DependencyCircuits(Microsoft.Extensions.Options.Options.Create(options), metrics, NullLoggerFactory.Instance, TimeProvider.System);
        var circuit = circuits.Postgres;

        // A stalled call: never completes; the attempt timeout abandons it.
        var stalled = new TaskCompletionSource<int>();
        for (var i = 0; i < 2; i++)
        {
            var timedOut = await Assert.ThrowsAsync<PostgresUnavailableException>(() => circuit.ExecuteAsync(_ => stalled.Task, TestContext.Token));
            Assert.Equal(options.BreakDuration, timedOut.RetryAfter);
        }

        Assert.Equal(CircuitState.Open, circuit.State);
        var refused = await Assert.ThrowsAsync<PostgresUnavailableException>(() => circuit.ExecuteAsync(_ => Task.FromResult(1), TestContext.Token));
        Assert.InRange(refused.RetryAfter, TimeSpan.Zero, options.BreakDuration);
        Assert.Throws<PostgresUnavailableException>(circuit.ThrowIfOpen);
        Assert.Equal(2, metrics.CircuitState.WithLabels("postgres").Value);

        // After the break, one probe goes through; its success closes the breaker.
        while (circuit.State == CircuitState.Open)
        {
            try
            {
                Assert.Equal(1, await circuit.ExecuteAsync(_ => Task.FromResult(1), TestContext.Token));
            }
            catch (PostgresUnavailableException)
            {
                await Task.Delay(50, TestContext.Token); // still open: polling, not a margin
            }
        }

        Assert.Equal(CircuitState.Closed, circuit.State);
        Assert.Equal(0, metrics.CircuitState.WithLabels("postgres").Value);
        Assert.Equal(1, metrics.CircuitTransitions.WithLabels("postgres", "open").Value);
        Assert.Equal(1, metrics.CircuitTransitions.WithLabels("postgres", "half_open").Value);
        Assert.Equal(1, metrics.CircuitTransitions.WithLabels("postgres", "closed").Value);
        stalled.SetResult(0);
    }
}
