using System.Diagnostics;
using SalesAuto.Core.Tests.Infrastructure;
using SalesAuto.Core.Tests.RetryQueue;
using SalesAuto.Server;

namespace SalesAuto.Core.Tests.Foundation;

/// <summary>A bad setting stops start-up with one line naming the setting and its rule, a non-zero exit code and no stack trace.</summary>
public sealed class SettingsFailureTests
{
    [Theory]
    [InlineData("RetryQueue:BatchSize", "0", "RetryQueue:BatchSize must be between 1 and 1000.")]
    [InlineData("RetryQueue:BatchSize", "many", "RetryQueue:BatchSize must be a valid whole number")]
    [InlineData("RetryQueue:Lease", "soon", "RetryQueue:Lease must be a valid TimeSpan such as 00:00:05")]
    [InlineData("RetryQueue:Delays", "00:00:05,soon", "RetryQueue:Delays entry 'soon' is not a TimeSpan")]
    [InlineData("Webhooks:MaxBodyBytes", "0", "Webhooks:MaxBodyBytes must be between 1 and 67108864.")]
    [InlineData("DeadLetters:RetentionSchedule", "hourly", "DeadLetters:RetentionSchedule")]
    public async Task RunAsync_WritesOneLineNamingTheSettingAndRule_AndReturnsExitCode_WhenASettingIsInvalid(string key, string value, string expected)
    {
        var settings = RunningServer.DefaultSettings(TestEnvironment.PostgresConnectionString, "unused:");
        settings[key] = value;
        using var error = new StringWriter();

        var exitCode = await SettingsFailure.RunAsync(
            async () =>
            {
                await using var app = ServerApp.Build([], b => b.Configuration.AddInMemoryCollection(settings));
                SettingsFailure.ValidateNow(app.Services);
                Assert.Fail("the bad setting was accepted");
            },
            error);

        Assert.Equal(SettingsFailure.ExitCode, exitCode);
        var line = Assert.Single(error.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("SalesAuto did not start, a setting is invalid: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.DoesNotContain("DataAnnotation", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_NamesTheSettingButNotTheValue_WhenTheBinderCannotConvertIt()
    {
        var settings = RunningServer.DefaultSettings(TestEnvironment.PostgresConnectionString, "unused:");
        settings["Webhooks:MaxBodyBytes"] = "s3cret-looking-value";
        using var error = new StringWriter();

        var exitCode = await SettingsFailure.RunAsync(
            async () =>
            {
                await using var app = ServerApp.Build([], b => b.Configuration.AddInMemoryCollection(settings));
                SettingsFailure.ValidateNow(app.Services);
            },
            error);

        Assert.Equal(SettingsFailure.ExitCode, exitCode);
        Assert.Contains("Webhooks:MaxBodyBytes must be a valid whole number", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_LetsOtherFailuresThrough_WithTheirStackTrace()
    {
        using var error = new StringWriter();

        await Assert.ThrowsAsync<InvalidOperationException>(() => SettingsFailure.RunAsync(() => throw new InvalidOperationException("a bug"), error));

        Assert.Empty(error.ToString());
    }

    [Theory]
    [InlineData("SalesAuto.Server", "RetryQueue__BatchSize", "0", "RetryQueue:BatchSize must be between 1 and 1000.")]
    [InlineData("SalesAuto.Server", "ConnectionStrings__Redis", "", "ConnectionStrings:Redis is required")]
    [InlineData("SalesAuto.Server", "Webhooks__TimestampTolerance", "forever", "Webhooks:TimestampTolerance must be a valid TimeSpan")]
    [InlineData("SalesAuto.Functions", "RetryQueue__BatchSize", "0", "RetryQueue:BatchSize must be between 1 and 1000.")]
    [InlineData("SalesAuto.Functions", "Webhooks__TimestampTolerance", "forever", "Webhooks:TimestampTolerance must be a valid TimeSpan")]
    [InlineData("SalesAuto.Functions", "Webhooks__Sources__hs__Kind", "Mailchimp", "Webhooks:Sources:hs:Kind ('Mailchimp') must be HubSpot, Lemlist or StandardWebhooks")]
    public async Task Host_ExitsNonZero_WithOneLineOnStderr_AndNoStackTrace_WhenStartedWithABadSetting(string host, string variable, string value, string expected)
    {
        var server = HostAssembly(host);
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // Not the checkout: no appsettings.Local.json, only what the environment below says.
            WorkingDirectory = Path.GetTempPath(),
        };
        start.ArgumentList.Add(server);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add("http://127.0.0.1:0");
        start.Environment["ConnectionStrings__Postgres"] = TestEnvironment.PostgresConnectionString;
        start.Environment["ConnectionStrings__Redis"] = TestEnvironment.RedisConnectionString;
        start.Environment["Postgres__MigrateOnStart"] = "false";
        start.Environment["RetryQueue__CycleEnabled"] = "false";
        start.Environment[variable] = value;
        if (variable.StartsWith("Webhooks__Sources__hs", StringComparison.Ordinal))
        {
            start.Environment["Webhooks__Sources__hs__Secrets__0"] = "a-long-enough-secret";
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Token);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Token);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Token);
        deadline.CancelAfter(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{host} was still running after 90 s with {variable}={value}: {await stdout}");
        }

        var error = await stderr;
        var output = await stdout;
        Assert.NotEqual(0, process.ExitCode);
        Assert.Equal(SettingsFailure.ExitCode, process.ExitCode);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error + output, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", error + output, StringComparison.Ordinal);
    }

    // The host's own build output, in the configuration this test project was built in.
    private static string HostAssembly(string project)
    {
        var output = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)); // bin/<configuration>/<tfm>
        var configuration = output.Parent!.Name;
        var framework = output.Name;
        var path = Path.Combine(RedisClusterEnvironment.RepositoryRoot, project, "bin", configuration, framework, project + ".dll");
        Assert.True(File.Exists(path), $"{path} is missing: the test project builds {project}, so it should be there");
        return path;
    }
}
