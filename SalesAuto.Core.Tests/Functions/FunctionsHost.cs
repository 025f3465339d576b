using System.Reflection;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SalesAuto.Core.Http;
using SalesAuto.Core.Tests.Infrastructure;
using SalesAuto.Functions;

namespace SalesAuto.Core.Tests.Functions;

/// <summary>
/// The Functions app's worker container, built the way the worker builds it (FunctionsApp, the
/// same builder Program.cs uses) with scope and build validation on, and its functions invoked
/// directly with a real HttpContext, the way the ASP.NET Core integration hands them a request:
/// the function method gets the request and its bound route parameters, and Core's request
/// pipeline (what the worker middleware runs) wraps the invocation. Only the Functions host's
/// gRPC side is absent.
/// </summary>
public sealed class FunctionsHost : IAsyncDisposable
{
    private FunctionsHost(IHost host) => Host = host;

    public IHost Host { get; }

    public IServiceProvider Services => Host.Services;

    /// <summary>Builds the worker's host with <paramref name="settings"/> over the usual sources; does not start the gRPC side.</summary>
    public static IHost Build(IDictionary<string, string?> settings)
    {
        var builder = FunctionsApp.CreateBuilder([]);
        builder.Configuration.AddInMemoryCollection(settings);
        // The worker's log goes to a file like the test servers' (ServerLog), never to the console.
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new ServerLog("functions-" + Guid.NewGuid().ToString("N")[..8]));
        builder.ConfigureContainer(new DefaultServiceProviderFactory(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true }));
        return builder.Build();
    }

    /// <summary>Builds the host and runs Core's start-up step, as Program.cs does before it connects to the Functions host.</summary>
    public static async Task<FunctionsHost> StartAsync(IDictionary<string, string?> settings)
    {
        var host = Build(settings);
        host.Services.GetRequiredService<Microsoft.Extensions.Options.IStartupValidator>().Validate();
        await SalesAuto.Core.SalesAutoStartup.RunAsync(host.Services, TestContext.Token);
        return new FunctionsHost(host);
    }

    /// <summary>Every [Function] method of the app, by function name.</summary>
    public static IReadOnlyDictionary<string, MethodInfo> Functions { get; } = typeof(FunctionsApp).Assembly.GetTypes()
        .SelectMany(type => type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
        .Where(method => method.GetCustomAttribute<FunctionAttribute>() is not null)
        .ToDictionary(method => method.GetCustomAttribute<FunctionAttribute>()!.Name, StringComparer.Ordinal);

    /// <summary>Sends one HTTP request to the function whose route matches it; the answer as the host would send it.</summary>
    public Task<Exchange> SendAsync(HttpMethod method, string pathAndQuery, string? body = null, IReadOnlyDictionary<string, string>? headers = null) =>
        SendAsync(method, pathAndQuery, body is null ? null : Encoding.UTF8.GetBytes(body), body is null ? null : "application/json", headers);

    /// <summary>The same with a body of any bytes and content type.</summary>
    public async Task<Exchange> SendAsync(HttpMethod method, string pathAndQuery, byte[]? body, string? contentType, IReadOnlyDictionary<string, string>? headers = null)
    {
        var (path, query) = pathAndQuery.IndexOf('?', StringComparison.Ordinal) is var q and >= 0 ? (pathAndQuery[..q], pathAndQuery[q..]) : (pathAndQuery, string.Empty);
        var (route, values) = Match(method.Method, path) ?? throw new InvalidOperationException($"no function serves {method} {path}");
        var function = Functions[route.Name];

        await using var scope = Services.CreateAsyncScope();
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        var request = context.Request;
        request.Method = method.Method;
        request.Scheme = "http";
        request.Host = new HostString("localhost", 7071);
        try
        {
            request.Path = path;
        }
        catch (InvalidOperationException)
        {
            // A path that decodes to NUL: the Functions host's Kestrel answers 400 before any worker sees it.
            return new Exchange(400, null, string.Empty, new Dictionary<string, string>());
        }

        request.QueryString = new QueryString(query);
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers[name] = value;
        }

        if (body is not null)
        {
            request.Body = new MemoryStream(body);
            request.ContentLength = body.Length;
            request.ContentType = contentType;
        }

        var responseBody = new MemoryStream();
        context.Response.Body = responseBody;

        // The worker activates the function's class from the invocation's scope, binds its
        // parameters, and runs the middleware around it; the IResult is executed afterwards.
        var instance = ActivatorUtilities.CreateInstance(scope.ServiceProvider, function.DeclaringType!);
        var arguments = function.GetParameters().Select(parameter => parameter.ParameterType switch
        {
            var type when type == typeof(HttpRequest) => (object?)request,
            var type when type == typeof(CancellationToken) => TestContext.Token,
            var type when type == typeof(string) => values[parameter.Name!],
            var type => throw new InvalidOperationException($"{route.Name} takes a {type.Name}; the harness binds HttpRequest, route strings and CancellationToken"),
        }).ToArray();
        IResult? result = null;
        var problem = await scope.ServiceProvider.GetRequiredService<RequestPipeline>().RunAsync(context, async () =>
        {
            result = await (Task<IResult>)function.Invoke(instance, arguments)!;
        });
        await (problem ?? result!).ExecuteAsync(context);

        return new Exchange(context.Response.StatusCode, context.Response.ContentType, Encoding.UTF8.GetString(responseBody.ToArray()), context.Response.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase));
    }

    /// <summary>Runs a timer function as the host would on its schedule.</summary>
    public async Task RunTimerAsync(string name)
    {
        var function = Functions[name];
        await using var scope = Services.CreateAsyncScope();
        var instance = ActivatorUtilities.CreateInstance(scope.ServiceProvider, function.DeclaringType!);
        await (Task)function.Invoke(instance, [new TimerInfo(), TestContext.Token])!;
    }

    public async ValueTask DisposeAsync()
    {
        if (Host is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }
        else
        {
            Host.Dispose();
        }
    }

    // Which route serves a path: literal segments equal, parameters bound, {x:guid} a UUID.
    private static (Routes.RouteDefinition Route, Dictionary<string, string> Values)? Match(string method, string path)
    {
        var segments = path.Trim('/').Split('/');
        foreach (var route in Routes.All.Where(r => r.Method == method))
        {
            var parts = (Routes.Prefix + "/" + route.Template).Split('/');
            if (parts.Length != segments.Length)
            {
                continue;
            }

            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            var matched = true;
            for (var i = 0; i < parts.Length && matched; i++)
            {
                if (parts[i].StartsWith('{'))
                {
                    var name = parts[i].Trim('{', '}').Split(':')[0];
                    var value = Uri.UnescapeDataString(segments[i]);
                    matched = !parts[i].Contains(":guid", StringComparison.Ordinal) || Guid.TryParse(value, out _);
                    values[name] = value;
                }
                else
                {
                    matched = string.Equals(parts[i], segments[i], StringComparison.OrdinalIgnoreCase);
                }
            }

            if (matched)
            {
                return (route, values);
            }
        }

        return null;
    }
}

/// <summary>What a host answered.</summary>
public sealed record Exchange(int Status, string? ContentType, string Body, IReadOnlyDictionary<string, string> Headers)
{
    /// <summary>The body without what legitimately differs between two hosts and two runs: correlation ids, durations, times.</summary>
    public string Comparable()
    {
        var text = System.Text.RegularExpressions.Regex.Replace(Body, "\"correlationId\":\"[^\"]*\"", "\"correlationId\":\"*\"");
        text = System.Text.RegularExpressions.Regex.Replace(text, "\"durationMs\":[-0-9.eE+]+", "\"durationMs\":0");
        text = System.Text.RegularExpressions.Regex.Replace(text, @"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?", "<time>");
        // Ages are "now" minus a stored time: two requests a second apart may differ by one.
        text = System.Text.RegularExpressions.Regex.Replace(text, "AgeSeconds\":[0-9.eE+-]+", "AgeSeconds\":<age>");
        return text;
    }

    public JsonElement Json() => JsonDocument.Parse(Body).RootElement.Clone();
}
