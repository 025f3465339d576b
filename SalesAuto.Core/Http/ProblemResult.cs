using Microsoft.AspNetCore.Http;

namespace SalesAuto.Core.Http;

/// <summary>
/// An RFC 9457 <c>application/problem+json</c> answer carrying the request's correlation id and,
/// for 429 and 503, a <c>Retry-After</c> header.
/// </summary>
public sealed class ProblemResult : IResult, IStatusCodeHttpResult
{
    private readonly string _slug;
    private readonly string _title;
    private readonly string _detail;
    private readonly TimeSpan? _retryAfter;
    private readonly IReadOnlyDictionary<string, object?>? _extensions;

    /// <summary>Creates a problem answer.</summary>
    public ProblemResult(int status, string slug, string title, string detail, TimeSpan? retryAfter = null, IReadOnlyDictionary<string, object?>? extensions = null)
    {
        StatusCode = status;
        _slug = slug;
        _title = title;
        _detail = detail;
        _retryAfter = retryAfter;
        _extensions = extensions;
    }

    /// <inheritdoc />
    public int? StatusCode { get; }

    /// <summary>The problem type, <c>urn:salesauto:problem:{slug}</c> (listed in docs/admin-api.md).</summary>
    public string Type => $"urn:salesauto:problem:{_slug}";

    /// <summary>The human-readable explanation.</summary>
    public string Detail => _detail;

    /// <inheritdoc />
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var body = new Dictionary<string, object?>
        {
            ["type"] = Type,
            ["title"] = _title,
            ["status"] = StatusCode,
            ["detail"] = _detail,
            ["instance"] = httpContext.Request.Path.Value,
            ["correlationId"] = httpContext.TraceIdentifier,
        };
        if (_extensions is not null)
        {
            foreach (var (key, value) in _extensions)
            {
                body[key] = value;
            }
        }

        var response = httpContext.Response;
        response.StatusCode = StatusCode!.Value;
        response.ContentType = "application/problem+json; charset=utf-8";
        if (_retryAfter is { } retryAfter)
        {
            response.Headers.RetryAfter = ((int)Math.Ceiling(Math.Max(1, retryAfter.TotalSeconds))).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        await JsonAnswer.WriteAsync(response, body, typeof(Dictionary<string, object?>), httpContext.RequestAborted).ConfigureAwait(false);
    }
}

/// <summary>The problems SalesAuto answers with, one factory each, so the same failure reads the same everywhere.</summary>
public static class Problems
{
    /// <summary>400: the request is malformed or invalid.</summary>
    public static ProblemResult BadRequest(string detail, IReadOnlyDictionary<string, object?>? extensions = null) =>
        new(StatusCodes.Status400BadRequest, "invalid-request", "The request is invalid.", detail, extensions: extensions);

    /// <summary>400: the body is not the JSON expected.</summary>
    public static ProblemResult MalformedJson(string detail) =>
        new(StatusCodes.Status400BadRequest, "malformed-json", "The body is not valid JSON of the expected shape.", detail);

    /// <summary>401: signature, token, timestamp or key missing or wrong.</summary>
    public static ProblemResult Unauthorized(string slug, string detail) =>
        new(StatusCodes.Status401Unauthorized, slug, "The request could not be authenticated.", detail);

    /// <summary>403: the browser origin is not allowed.</summary>
    public static ProblemResult ForbiddenOrigin(string origin) =>
        new(StatusCodes.Status403Forbidden, "origin-not-allowed", "Cross-origin request refused.", $"Origin '{origin}' is not in Admin:AllowedOrigins.");

    /// <summary>404: unknown thing.</summary>
    public static ProblemResult NotFound(string detail) =>
        new(StatusCodes.Status404NotFound, "not-found", "Not found.", detail);

    /// <summary>404: no route matches the request (the path quoted, shortened).</summary>
    public static ProblemResult NoRoute(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return NotFound($"No route matches {request.Method} {JsonText.Truncate(request.Path.Value ?? "/")}.");
    }

    /// <summary>405: the route exists for other methods.</summary>
    public static ProblemResult MethodNotAllowed(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new(StatusCodes.Status405MethodNotAllowed, "method-not-allowed", "Method not allowed.", $"{request.Method} is not allowed on {JsonText.Truncate(request.Path.Value ?? "/")}.");
    }

    /// <summary>409: a conflicting state.</summary>
    public static ProblemResult Conflict(string detail) =>
        new(StatusCodes.Status409Conflict, "conflict", "Conflict.", detail);

    /// <summary>413: the body passed the limit while it was being read.</summary>
    public static ProblemResult TooLarge(long limit) =>
        new(StatusCodes.Status413PayloadTooLarge, "body-too-large", "The body is too large.", $"The body exceeds Webhooks:MaxBodyBytes ({limit} bytes).", extensions: new Dictionary<string, object?> { ["limit"] = limit });

    /// <summary>415: not JSON.</summary>
    public static ProblemResult UnsupportedMediaType(string? contentType) =>
        new(StatusCodes.Status415UnsupportedMediaType, "unsupported-media-type", "The body must be JSON.", $"Content-Type '{contentType ?? "(none)"}' is not application/json.");

    /// <summary>429: rate limited.</summary>
    public static ProblemResult TooManyRequests(TimeSpan retryAfter) =>
        new(StatusCodes.Status429TooManyRequests, "rate-limited", "Too many requests.", "The admin rate limit was reached; retry after the time in Retry-After.", retryAfter);

    /// <summary>503: a dependency is down; the client should retry.</summary>
    public static ProblemResult Unavailable(string detail, TimeSpan? retryAfter = null) =>
        new(StatusCodes.Status503ServiceUnavailable, "dependency-unavailable", "A dependency is unavailable.", detail, retryAfter ?? TimeSpan.FromSeconds(30));

    /// <summary>
    /// 503 for an exception that means a dependency is down (Postgres, Redis), so a handler that
    /// does not catch it still answers "retry later" instead of 500; null for anything else.
    /// </summary>
    public static ProblemResult? ForDependencyFailure(Exception exception) => exception switch
    {
        _ when Postgres.PostgresFailures.IsOutage(exception) => Unavailable("Postgres is unavailable. Retry later.", RetryAfterOf(exception)),
        RetryQueue.RetryQueueUnavailableException or StackExchange.Redis.RedisConnectionException or StackExchange.Redis.RedisTimeoutException => Unavailable("Redis is unavailable. Retry later.", RetryAfterOf(exception)),
        _ => null,
    };

    /// <summary>
    /// The <c>Retry-After</c> a dependency failure calls for: the time left before the circuit
    /// breaker lets a probe through, where a breaker decided; null (the default) otherwise.
    /// </summary>
    public static TimeSpan? RetryAfterOf(Exception exception) => exception switch
    {
        Resilience.PostgresUnavailableException postgres => postgres.RetryAfter,
        RetryQueue.RetryQueueUnavailableException queue => queue.RetryAfter,
        _ => null,
    };

    /// <summary>500: a bug. No exception text leaves the process, only the correlation id.</summary>
    public static ProblemResult Internal() =>
        new(StatusCodes.Status500InternalServerError, "internal-error", "An unexpected error occurred.", "The error was logged with the correlation id below.");
}
