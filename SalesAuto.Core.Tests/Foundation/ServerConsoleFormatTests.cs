using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using SalesAuto.Core.Tests.Infrastructure;
using SalesAuto.Server;

namespace SalesAuto.Core.Tests.Foundation;

/// <summary>SalesAuto.Server's console: readable lines for a person in Development, JSON for log collectors elsewhere.</summary>
public sealed class ServerConsoleFormatTests
{
    [Theory]
    [InlineData("Development", ConsoleFormatterNames.Simple)]
    [InlineData("Production", ConsoleFormatterNames.Json)]
    [InlineData("Staging", ConsoleFormatterNames.Json)]
    public void ConsoleFormatter_IsSimpleInDevelopment_AndJsonElsewhere(string environment, string expected)
    {
        using var app = ServerApp.Build(
            ["--environment", environment],
            b => b.Configuration.AddInMemoryCollection(RunningServer.DefaultSettings(TestEnvironment.PostgresConnectionString, "console:")));

        var formatter = app.Services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue.FormatterName;

        Assert.True(formatter == expected, $"in {environment} the console formatter is '{formatter}', want '{expected}'");
    }
}
