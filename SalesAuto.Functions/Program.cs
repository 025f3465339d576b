using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SalesAuto.Core;
using SalesAuto.Core.Postgres;
using SalesAuto.Functions;

// SalesAuto on Azure Functions: the isolated worker with the ASP.NET Core integration, so the
// functions hand Core's handlers a real HttpContext and return Core's IResult, as SalesAuto.Server
// does. Deployment, settings and local runs: docs/deploy.md.
var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
// After ConfigureFunctionsWebApplication: it must run inside the integration's middleware.
builder.UseMiddleware<HttpObservabilityMiddleware>();
builder.Services.AddSalesAutoCore(builder.Configuration);

using var host = builder.Build();

// Migrations (Postgres:MigrateOnStart) run before the host starts, so before the worker connects
// to the Functions host: no invocation can reach a schema that is not migrated yet. Instances
// starting together take turns on Core's advisory lock. A bad setting stops here, naming it.
if (host.Services.GetRequiredService<IOptions<PostgresOptions>>().Value.MigrateOnStart)
{
    await host.Services.GetRequiredService<PostgresMigrator>().MigrateAsync(CancellationToken.None);
}

await host.RunAsync();
