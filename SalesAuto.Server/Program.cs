using SalesAuto.Core;
using SalesAuto.Server;

// SalesAuto on plain ASP.NET Core: the same endpoints and retry cycle as the Functions app.
//   dotnet run --project SalesAuto.Server                 serve (migrates first)
//   dotnet run --project SalesAuto.Server -- migrate      apply the Postgres migrations and exit
// A bad setting ends start-up with one line on stderr naming it, and exit code 78 (SettingsFailure).
return await SettingsFailure.RunAsync(async () =>
{
    var app = ServerApp.Build(args);
    SettingsFailure.ValidateNow(app.Services);
    if (args.Contains("migrate", StringComparer.Ordinal))
    {
        await ServerApp.MigrateAsync(app);
        return;
    }

    await app.RunAsync();
});
