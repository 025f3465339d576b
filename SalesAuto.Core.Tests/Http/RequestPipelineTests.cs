using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using SalesAuto.Core.Http;
using SalesAuto.Core.Observability;
using SalesAuto.Core.Tests.Infrastructure;

namespace SalesAuto.Core.Tests.Http;

/// <summary>
/// What both hosts' middleware run around every request (SalesAuto.Server's SalesAutoHttpMiddleware
/// and the Functions worker's HttpObservabilityMiddleware are adapters over it).
/// </summary>
public sealed class RequestPipelineTests : IDisposable
{
    [Fact]
    public async Task RunAsync_TakesASaneRequestId_EchoesIt_AndLogsUnderIt()
    {
        var (pipeline, logs, _) = Create();
        var context = Context();
        context.Request.Headers[CorrelationId.HeaderName] = "req-42";

        var problem = await pipeline.RunAsync(context, () =>
        {
            context.RequestServices.GetRequiredService<ILogger<RequestPipelineTests>>().LogInformation("inside");
            return Task.CompletedTask;
        });

        Assert.Null(problem);
        Assert.Equal("req-42", context.TraceIdentifier);
        Assert.Equal("req-42", context.Response.Headers[CorrelationId.HeaderName].ToString());
        Assert.Contains(logs.Lines, line => line.Contains("inside", StringComparison.Ordinal) && line.Contains("req-42", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("quote\"d")]
    [InlineData("")]
    public async Task RunAsync_MakesANewId_WhenTheCallersIsNotASafeToken(string given)
    {
        var (pipeline, _, _) = Create();
        var context = Context();
        context.Request.Headers[CorrelationId.HeaderName] = given;

        await pipeline.RunAsync(context, () => Task.CompletedTask);

        Assert.NotEqual(given, context.TraceIdentifier);
        Assert.Matches("^[0-9a-f]{32}$", context.TraceIdentifier);
    }

    [Fact]
    public async Task RunAsync_Answers503WithRetryAfter_AndLogsWithoutTheMessage_WhenPostgresIsDown()
    {
        var (pipeline, logs, _) = Create();
        var context = Context();

        var problem = await pipeline.RunAsync(context, () => throw new Npgsql.NpgsqlException("connection refused to secret-host", new System.Net.Sockets.SocketException(111)));

        var result = Assert.IsType<ProblemResult>(problem);
        Assert.Equal(503, result.StatusCode);
        await result.ExecuteAsync(context);
        Assert.Equal("30", context.Response.Headers.RetryAfter.ToString());
        var line = Assert.Single(logs.Lines, l => l.Contains("answered 503", StringComparison.Ordinal));
        Assert.DoesNotContain("secret-host", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_Answers500WithTheCorrelationId_AndLogsTheBug_WhenAHandlerThrows()
    {
        var (pipeline, logs, _) = Create();
        var context = Context();

        var problem = await pipeline.RunAsync(context, () => throw new InvalidOperationException("a bug with detail"));

        var result = Assert.IsType<ProblemResult>(problem);
        Assert.Equal(500, result.StatusCode);
        var body = new MemoryStream();
        context.Response.Body = body;
        await result.ExecuteAsync(context);
        var text = System.Text.Encoding.UTF8.GetString(body.ToArray());
        Assert.Contains(context.TraceIdentifier, text, StringComparison.Ordinal);
        Assert.DoesNotContain("a bug with detail", text, StringComparison.Ordinal);
        Assert.Contains(logs.Lines, l => l.Contains("Unhandled InvalidOperationException answered with 500", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_AnswersNothing_WhenTheClientWentAway()
    {
        var (pipeline, logs, _) = Create();
        var context = Context();
        using var aborted = new CancellationTokenSource();
        context.RequestAborted = aborted.Token;
        await aborted.CancelAsync();

        var problem = await pipeline.RunAsync(context, () => throw new OperationCanceledException(aborted.Token));

        Assert.Null(problem);
        Assert.Empty(logs.Lines);
    }

    [Fact]
    public void Observe_CountsUnderTheRouteTemplate_OrUnmatched()
    {
        var (pipeline, _, metrics) = Create();
        var context = Context();
        context.Request.Method = "GET";
        context.Response.StatusCode = 404;

        pipeline.Observe(context, "/api/dlq/{id:guid}", System.Diagnostics.Stopwatch.GetTimestamp());
        pipeline.Observe(context, null, System.Diagnostics.Stopwatch.GetTimestamp());

        Assert.Equal(1, metrics.HttpRequests.WithLabels("/api/dlq/{id:guid}", "GET", "404").Value);
        Assert.Equal(1, metrics.HttpRequests.WithLabels(RequestPipeline.UnmatchedRoute, "GET", "404").Value);
    }

    // One logging container per test, shared by the pipeline and the request: the scope the
    // pipeline opens must reach the handler's log lines, as it does in a host.
    private readonly ServiceProvider _services;
    private readonly CapturingLoggerProvider _logs = new();

    public RequestPipelineTests() =>
        _services = new ServiceCollection().AddLogging(b => b.AddProvider(_logs).SetMinimumLevel(LogLevel.Information)).BuildServiceProvider();

    private (RequestPipeline Pipeline, CapturingLoggerProvider Logs, SalesAutoMetrics Metrics) Create()
    {
        var metrics = new SalesAutoMetrics();
        return (new RequestPipeline(metrics, _services.GetRequiredService<ILogger<RequestPipeline>>()), _logs, metrics);
    }

    private DefaultHttpContext Context() => new() { RequestServices = _services };

    public void Dispose() => _services.Dispose();
}
