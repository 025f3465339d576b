using SalesAuto.Server;

// SalesAuto on plain ASP.NET Core: the same endpoints and retry cycle as the Functions app.
//   dotnet run --project SalesAuto.Server                 serve (migrates first)
//   dotnet run --project SalesAuto.Server -- migrate      apply the Postgres migrations and exit
var app = ServerApp.Build(args);
if (args.Contains("migrate", StringComparer.Ordinal))
{
    await ServerApp.MigrateAsync(app);
    return;
}

await app.RunAsync();
