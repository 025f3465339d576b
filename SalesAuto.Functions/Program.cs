using Microsoft.Extensions.Hosting;
using SalesAuto.Core;
using SalesAuto.Functions;

// SalesAuto on Azure Functions. Deployment, settings and local runs: docs/deploy.md.
// A bad setting ends start-up with one line on stderr naming it, and exit code 78 (SettingsFailure).
return await SettingsFailure.RunAsync(async () =>
{
    using var host = FunctionsApp.CreateBuilder(args).Build();
    SettingsFailure.ValidateNow(host.Services); // before the host could log the failure with its stack trace

    // Core's start-up step runs before the worker connects to the Functions host, so no invocation
    // can reach a schema that is not migrated yet; its wait for another instance's migration is
    // bounded by Postgres:MigrationLockTimeout, inside the host's worker start-up timeout.
    await SalesAutoStartup.RunAsync(host.Services, CancellationToken.None);
    await host.RunAsync();
});
