using Microsoft.Extensions.Hosting;
using SalesAuto.Core;
using SalesAuto.Functions;

// SalesAuto on Azure Functions. Deployment, settings and local runs: docs/deploy.md.
using var host = FunctionsApp.CreateBuilder(args).Build();

// Core's start-up step runs before the worker connects to the Functions host, so no invocation
// can reach a schema that is not migrated yet; its wait for another instance's migration is
// bounded by Postgres:MigrationLockTimeout, inside the host's worker start-up timeout.
await SalesAutoStartup.RunAsync(host.Services, CancellationToken.None);
await host.RunAsync();
