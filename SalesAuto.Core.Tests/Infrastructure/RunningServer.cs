using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using SalesAuto.Server;

namespace SalesAuto.Core.Tests.Infrastructure;

/// <summary>SalesAuto.Server on Kestrel, on a free loopback port, with the given settings: real HTTP.</summary>
public sealed class RunningServer : IAsyncDisposable
{
    public const string AdminKey = "test-admin-key-0123456789";

    /// <summary>The suppression list's hash key in tests (Privacy:HashKeys:0).</summary>
    public const string PrivacyHashKey = "test-privacy-hash-key-0123456789abcdef";

    private RunningServer(WebApplication app, Uri baseAddress, ServerLog log)
    {
        App = app;
        BaseAddress = baseAddress;
        Log = log;
        Client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
        Admin = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(120) };
        Admin.DefaultRequestHeaders.Add("x-functions-key", AdminKey);
    }

    public WebApplication App { get; }

    public Uri BaseAddress { get; }

    /// <summary>A client without credentials.</summary>
    public HttpClient Client { get; }

    /// <summary>A client with the admin key.</summary>
    public HttpClient Admin { get; }

    public IServiceProvider Services => App.Services;

    /// <summary>What the server logged (it never writes to the console); also written to a file when it stops.</summary>
    public ServerLog Log { get; }

    /// <summary>Settings every test server gets unless overridden: the test's schema and key prefix, an admin key, no cycle.</summary>
    public static Dictionary<string, string?> DefaultSettings(string postgresConnectionString, string keyPrefix) => new()
    {
        ["ConnectionStrings:Postgres"] = postgresConnectionString,
        ["ConnectionStrings:Redis"] = TestEnvironment.RedisConnectionString,
        ["RetryQueue:KeyPrefix"] = keyPrefix,
        ["Admin:Keys:tests"] = AdminKey,
        ["Privacy:HashKeys:0"] = PrivacyHashKey,
        ["Postgres:MigrateOnStart"] = "true",
        ["RetryQueue:CycleEnabled"] = "false",
        ["Admin:RateLimit:PermitLimit"] = "100000",
        ["Logging:LogLevel:Default"] = "Warning",
    };

    /// <summary>
    /// Starts a server whose log goes to a <see cref="ServerLog"/> named after the caller (a test
    /// or a fixture), never to the console.
    /// </summary>
    public static async Task<RunningServer> StartAsync(
        IDictionary<string, string?> settings,
        Action<WebApplicationBuilder>? customize = null,
        string? owner = null,
        [CallerFilePath] string callerFile = "",
        [CallerMemberName] string callerMember = "")
    {
        var log = new ServerLog(LogName(owner ?? $"{Path.GetFileNameWithoutExtension(callerFile)}.{callerMember}"));
        var app = ServerApp.Build(["--urls", "http://127.0.0.1:0", "--environment", "Testing"], builder =>
        {
            builder.Configuration.AddInMemoryCollection(settings);
            builder.Logging.ClearProviders();
            builder.Logging.AddProvider(log);
            customize?.Invoke(builder);
        });
        try
        {
            await app.StartAsync();
        }
        catch
        {
            // A server that failed to start (what some tests want) still leaves its log behind.
            await app.DisposeAsync();
            log.WriteFile();
            throw;
        }

        var address = app.Services.GetService(typeof(IServer)) is IServer server
            ? server.Features.Get<IServerAddressesFeature>()!.Addresses.First()
            : throw new InvalidOperationException("no server");
        return new RunningServer(app, new Uri(address), log);
    }

    // Unique per server: several start from one test or fixture type.
    private static string LogName(string owner) =>
        $"{new string(owner.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '_').ToArray())}-{Guid.NewGuid().ToString("N")[..8]}";

    public static HttpContent Json(string json) => new StringContent(json, new MediaTypeHeaderValue("application/json"));

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        Admin.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        Log.WriteFile();
    }
}
