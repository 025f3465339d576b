using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using SalesAuto.Core.Webhooks;

namespace SalesAuto.Core.Tests.Webhooks;

/// <summary>A clock that says what the test tells it.</summary>
internal sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}

/// <summary>Options that the test can change between calls, as configuration reloads would.</summary>
internal sealed class TestOptionsMonitor<T>(T value) : IOptionsMonitor<T>
{
    public T CurrentValue { get; set; } = value;

    public T Get(string? name) => CurrentValue;

    public IDisposable? OnChange(Action<T, string?> listener) => null;
}

internal static class WebhookTestSupport
{
    /// <summary>The time every verification test runs at.</summary>
    public static readonly DateTimeOffset Now = new(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);

    public static WebhookVerifier Verifier(out FixedClock clock, out TestOptionsMonitor<WebhookOptions> options, Uri? publicBaseUrl = null)
    {
        clock = new FixedClock(Now);
        options = new TestOptionsMonitor<WebhookOptions>(new WebhookOptions { PublicBaseUrl = publicBaseUrl });
        return new WebhookVerifier(options, clock);
    }

    /// <summary>A request as a server would hand it over, built without one.</summary>
    public static HttpRequest Request(string method = "POST", string scheme = "http", string host = "10.0.0.7:8080", string path = "/api/webhooks/hs", string query = "")
    {
        var context = new DefaultHttpContext();
        var request = context.Request;
        request.Method = method;
        request.Scheme = scheme;
        request.Host = new HostString(host);
        request.Path = path;
        request.QueryString = new QueryString(query);
        return request;
    }

    public static byte[] Sample(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "TestData", "Webhooks", name));
}
