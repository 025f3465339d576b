using System.Reflection;
using System.Text.Json;
using Microsoft.Extensions.Options;
using SalesAuto.Core.Http;
using SalesAuto.Core.Tests.Infrastructure;
using SalesAuto.Functions;

namespace SalesAuto.Core.Tests.Functions;

/// <summary>The Functions app as built: its generated metadata, its container, its settings.</summary>
public sealed class FunctionsAppTests
{
    private static readonly string[] Timers = ["RunRetryCycle", "ApplyDeadLetterRetention"];

    [Fact]
    public void FunctionsMetadata_EqualsCoresRouteTable_AndTheTwoTimers()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(MetadataPath()));
        var functions = document.RootElement.EnumerateArray().ToList();

        var http = functions
            .Select(f => (Name: f.GetProperty("name").GetString()!, Trigger: f.GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("direction").GetString() == "In")))
            .Where(f => f.Trigger.GetProperty("type").GetString() == "httpTrigger")
            .Select(f => string.Join(' ',
                f.Name,
                string.Join(',', f.Trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()!.ToUpperInvariant())),
                f.Trigger.GetProperty("route").GetString(),
                f.Trigger.GetProperty("authLevel").GetString()))
            .Order(StringComparer.Ordinal)
            .ToList();
        var expected = Routes.All
            .Select(route => $"{route.Name} {route.Method} {route.Template} Anonymous")
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Equal(expected, http);

        var timers = functions
            .Select(f => (Name: f.GetProperty("name").GetString()!, Trigger: f.GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("direction").GetString() == "In")))
            .Where(f => f.Trigger.GetProperty("type").GetString() == "timerTrigger")
            .ToDictionary(f => f.Name, f => f.Trigger.GetProperty("schedule").GetString());
        Assert.Equal(
            new Dictionary<string, string?> { ["RunRetryCycle"] = "%SALESAUTO_RETRY_SCHEDULE%", ["ApplyDeadLetterRetention"] = "%SALESAUTO_RETENTION_SCHEDULE%" },
            timers);
        Assert.Equal(Routes.All.Count + Timers.Length, functions.Count);
    }

    [Fact]
    public void FunctionClasses_AreSealedOneLiners_NamedFromTheRouteTable()
    {
        foreach (var (name, method) in FunctionsHost.Functions)
        {
            Assert.True(method.DeclaringType!.IsSealed, $"{method.DeclaringType.Name} is not sealed");
            Assert.Equal(name, method.Name);
            Assert.Contains(method.GetParameters(), p => p.ParameterType == typeof(CancellationToken));
            Assert.True(Routes.All.Any(r => r.Name == name) || Timers.Contains(name), $"{name} is neither a route of Core's table nor a timer");
        }

        Assert.All(Routes.All, route => Assert.True(FunctionsHost.Functions.ContainsKey(route.Name), $"route {route.Name} has no function"));
    }

    [Fact]
    public void Container_ResolvesEveryFunctionClass_FromTheExampleSettings()
    {
        using var host = FunctionsHost.Build(ExampleSettings());

        host.Services.GetRequiredService<IStartupValidator>().Validate();
        using var scope = host.Services.CreateScope();
        foreach (var type in FunctionsHost.Functions.Values.Select(m => m.DeclaringType!).Distinct())
        {
            Assert.NotNull(ActivatorUtilities.CreateInstance(scope.ServiceProvider, type));
        }
    }

    [Theory]
    [InlineData("RetryQueue:BatchSize", "0", "RetryQueue:BatchSize")]
    [InlineData("Webhooks:MaxBodyBytes", "0", "Webhooks:MaxBodyBytes")]
    [InlineData("Admin:Keys:local-dev", "short", "Admin:Keys:local-dev")]
    [InlineData("SALESAUTO_RETRY_SCHEDULE", "*/30 * * * * *", "SALESAUTO_RETRY_SCHEDULE")]
    public void Container_RefusesABadSetting_NamingIt(string setting, string value, string named)
    {
        var settings = ExampleSettings();
        settings[setting] = value;
        using var host = FunctionsHost.Build(settings);

        var error = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FunctionsApp_ReferencesNoHostSpecificCodeOfTheServer()
    {
        var referenced = typeof(FunctionsApp).Assembly.GetReferencedAssemblies().Select(a => a.Name).ToList();
        Assert.DoesNotContain("SalesAuto.Server", referenced);
        Assert.Contains("SalesAuto.Core", referenced);
    }

    /// <summary>local.settings.example.json's values as the worker reads them (A__B is A:B).</summary>
    internal static Dictionary<string, string?> ExampleSettings()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "repo", "local.settings.example.json")));
        var settings = document.RootElement.GetProperty("Values").EnumerateObject()
            .ToDictionary(p => p.Name.Replace("__", ":", StringComparison.Ordinal), p => (string?)p.Value.GetString(), StringComparer.OrdinalIgnoreCase);
        // Where the test run's dependencies are (the example names deps.sh's defaults).
        settings["ConnectionStrings:Postgres"] = TestEnvironment.PostgresConnectionString;
        settings["ConnectionStrings:Redis"] = TestEnvironment.RedisConnectionString;
        settings["Postgres:MigrateOnStart"] = "false";
        return settings;
    }

    /// <summary>The functions.metadata the Functions build generated (its own output, not a copy).</summary>
    internal static string MetadataPath()
    {
        var configuration = typeof(FunctionsAppTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "SalesAuto.sln")))
        {
            directory = directory.Parent;
        }

        Assert.NotNull(directory);
        var path = Path.Combine(directory.FullName, "SalesAuto.Functions", "bin", configuration, "net10.0", "functions.metadata");
        Assert.True(File.Exists(path), $"{path} does not exist: build SalesAuto.Functions first");
        return path;
    }
}
