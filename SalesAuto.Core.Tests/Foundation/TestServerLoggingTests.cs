using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using SalesAuto.Core.Tests.Infrastructure;

namespace SalesAuto.Core.Tests.Foundation;

/// <summary>The servers the tests start keep their logs out of the console of scripts/test.sh.</summary>
public sealed class TestServerLoggingTests(PostgresSchema schema) : IClassFixture<PostgresSchema>
{
    [Fact]
    public async Task TestServer_LogsToItsServerLogAndFile_NeverToTheConsole()
    {
        var server = await RunningServer.StartAsync(RunningServer.DefaultSettings(schema.ConnectionString, TestEnvironment.UniqueName("logging") + ":"));
        string? file;
        try
        {
            var providers = server.Services.GetServices<ILoggerProvider>().Select(p => p.GetType().Name).ToList();
            Assert.True(
                !providers.Contains(nameof(ConsoleLoggerProvider)) && providers.Contains(nameof(ServerLog)),
                $"the test server's log providers are [{string.Join(", ", providers)}], want ServerLog and no ConsoleLoggerProvider");

            server.Services.GetRequiredService<ILoggerFactory>().CreateLogger("SalesAuto.Tests.Probe").LogWarning("probe {Value}", 42);
            Assert.Contains(server.Log.Lines, line => line.Contains("Warning SalesAuto.Tests.Probe[0] probe 42", StringComparison.Ordinal));
        }
        finally
        {
            await server.DisposeAsync();
            file = server.Log.WriteFile();
        }

        Assert.True(file is not null && File.ReadAllText(file).Contains("probe 42", StringComparison.Ordinal), $"the server's log file {file ?? "(none)"} does not hold the probe line");
        Assert.Contains(nameof(TestServer_LogsToItsServerLogAndFile_NeverToTheConsole), Path.GetFileName(file), StringComparison.Ordinal);
    }
}
