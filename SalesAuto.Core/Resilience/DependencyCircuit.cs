using System.Globalization;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;
using SalesAuto.Core.Observability;

namespace SalesAuto.Core.Resilience;

/// <summary>
/// One dependency's guard (Polly v8): a circuit breaker around a per-call timeout. A call that
/// does not finish within <see cref="ResilienceOptions.AttemptTimeout"/> is abandoned (the
/// caller answers 503 at once; the client library finishes or times out the call on its own),
/// and once enough calls fail within the sampling duration the breaker opens: calls are refused
/// at once, with the time left before the breaker lets one probe call through. A successful
/// probe closes it; a failed one opens it again. Only failures that
/// <see cref="DependencyFailures"/> classifies as outages count; bad data and bugs pass through
/// untouched and never open it.
/// </summary>
public sealed class DependencyCircuit
{
    /// <summary>The <c>dependency</c> label value for Postgres.</summary>
    public const string Postgres = "postgres";

    /// <summary>The <c>dependency</c> label value for Redis.</summary>
    public const string Redis = "redis";

    private readonly ResiliencePipeline _pipeline;
    private readonly CircuitBreakerStateProvider _state = new();
    private readonly Func<string, TimeSpan, Exception, Exception> _unavailable;
    private readonly ResilienceOptions _options;

    /// <summary>Creates the guard of <paramref name="dependency"/>.</summary>
    /// <param name="dependency">The dependency's metric label (<see cref="Postgres"/>, <see cref="Redis"/>).</param>
    /// <param name="options">Timeout and breaker settings.</param>
    /// <param name="isOutage">Which failures count towards opening the breaker.</param>
    /// <param name="unavailable">The exception a refused or timed-out call throws: (message, retry after, cause).</param>
    /// <param name="metrics">Where the breaker's state and transitions are counted.</param>
    /// <param name="logger">Where the transitions are logged.</param>
    /// <param name="time">The clock of the breaker and the timeout.</param>
    public DependencyCircuit(
        string dependency,
        ResilienceOptions options,
        Func<Exception, bool> isOutage,
        Func<string, TimeSpan, Exception, Exception> unavailable,
        SalesAutoMetrics metrics,
        ILogger logger,
        TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(metrics);
        Dependency = dependency;
        _options = options;
        _unavailable = unavailable;
        metrics.SetCircuitState(dependency, CircuitState.Closed);
        _pipeline = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                Name = dependency,
                FailureRatio = options.FailureRatio,
                MinimumThroughput = options.MinimumThroughput,
                SamplingDuration = options.SamplingDuration,
                BreakDuration = options.BreakDuration,
                StateProvider = _state,
                // The caller's own cancellation (a client that went away) says nothing about the dependency.
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && e is not OperationCanceledException && isOutage(e)),
                OnOpened = args =>
                {
                    metrics.SetCircuitState(dependency, CircuitState.Open);
                    Log.CircuitOpened(logger, dependency, args.BreakDuration.TotalSeconds, args.Outcome.Exception?.GetType().Name ?? "none");
                    return ValueTask.CompletedTask;
                },
                OnHalfOpened = _ =>
                {
                    metrics.SetCircuitState(dependency, CircuitState.HalfOpen);
                    Log.CircuitHalfOpened(logger, dependency);
                    return ValueTask.CompletedTask;
                },
                OnClosed = _ =>
                {
                    metrics.SetCircuitState(dependency, CircuitState.Closed);
                    Log.CircuitClosed(logger, dependency);
                    return ValueTask.CompletedTask;
                },
            })
            .AddTimeout(new TimeoutStrategyOptions { Name = dependency, Timeout = options.AttemptTimeout })
            .Build();
    }

    /// <summary>The dependency's metric label.</summary>
    public string Dependency { get; }

    /// <summary>The breaker's state now.</summary>
    public CircuitState State => _state.CircuitState;

    /// <summary>
    /// Runs <paramref name="work"/> through the breaker and the timeout. Throws the exception made
    /// by the constructor's <c>unavailable</c> when the breaker refuses the call or the call takes
    /// longer than the attempt timeout; any other failure is thrown as it is.
    /// </summary>
    public async Task<T> ExecuteAsync<T>(Func<CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        try
        {
            return await _pipeline.ExecuteAsync(
                static (state, token) => new ValueTask<T>(Abandonable(state.work(token), token, state.cancellationToken)),
                (work, cancellationToken),
                cancellationToken).ConfigureAwait(false);
        }
        catch (BrokenCircuitException exception)
        {
            var retryAfter = exception.RetryAfter ?? _options.BreakDuration;
            throw _unavailable(
                string.Create(CultureInfo.InvariantCulture, $"{Dependency}: circuit breaker open after repeated failures; calls are refused for {Math.Ceiling(retryAfter.TotalSeconds)} s more"),
                retryAfter,
                exception);
        }
        catch (TimeoutRejectedException exception)
        {
            throw _unavailable(
                string.Create(CultureInfo.InvariantCulture, $"{Dependency}: no answer within {_options.AttemptTimeout.TotalSeconds} s (Resilience:AttemptTimeout)"),
                _options.BreakDuration,
                exception);
        }
    }

    /// <summary>
    /// Refuses at once while the breaker is open, for a call that is not bounded by the attempt
    /// timeout (an admin query that may legitimately take longer): it neither waits on a dependency
    /// known to be down nor counts towards the breaker.
    /// </summary>
    public void ThrowIfOpen()
    {
        if (State is CircuitState.Open or CircuitState.Isolated)
        {
            throw _unavailable(
                string.Create(CultureInfo.InvariantCulture, $"{Dependency}: circuit breaker open after repeated failures"),
                _options.BreakDuration,
                new BrokenCircuitException());
        }
    }

    /// <summary>Runs <paramref name="work"/> through the breaker and the timeout (see the generic overload).</summary>
    public Task ExecuteAsync(Func<CancellationToken, Task> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        return ExecuteAsync(async token =>
        {
            await work(token).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    // Npgsql and StackExchange.Redis stop waiting on cancellation only when the server answers or
    // their own timeouts fire; a stalled server (SIGSTOP, a frozen failover) answers nothing. So
    // when the attempt times out the caller stops waiting and the call finishes on its own; its
    // outcome is observed here so that a late failure is not an unobserved task exception. When
    // the caller itself cancels (the host is stopping) the call is waited for, as before: Npgsql
    // cancels it on the server, so the caller knows whether it happened (a cycle that releases its
    // items must know their events were not stored).
    private static async Task<T> Abandonable<T>(Task<T> call, CancellationToken token, CancellationToken callerToken)
    {
        try
        {
            return await call.WaitAsync(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!call.IsCompleted)
        {
            if (callerToken.IsCancellationRequested)
            {
                return await call.ConfigureAwait(false);
            }

            _ = call.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            throw;
        }
    }
}
