using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.Options;
using SalesAuto.Core;
using SalesAuto.Core.Postgres;

namespace SalesAuto.Server;

/// <summary>Builds SalesAuto.Server; Program.cs and the tests both start it through here.</summary>
public static class ServerApp
{
    /// <summary>Builds the app; <paramref name="customize"/> lets tests add settings (after the standard sources) or logging providers.</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? customize = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        // Written by scripts/deps.sh (ignored by git): the local connection strings. Inserted before
        // the environment variables and the command line, so that those still win, as usual.
        var sources = builder.Configuration.Sources;
        var local = new JsonConfigurationSource { Path = "appsettings.Local.json", Optional = true, ReloadOnChange = false };
        local.FileProvider = builder.Configuration.GetFileProvider();
        var environment = sources.Select((source, index) => (source, index)).FirstOrDefault(s => s.source is EnvironmentVariablesConfigurationSource);
        sources.Insert(environment.source is null ? sources.Count : environment.index, local);

        builder.Logging.ClearProviders();
        if (builder.Environment.IsDevelopment())
        {
            // A person at a terminal (scripts/run.sh): one readable line per entry.
            builder.Logging.AddSimpleConsole(options =>
            {
                options.SingleLine = true;
                options.IncludeScopes = false;
                options.UseUtcTimestamp = true;
                options.TimestampFormat = "HH:mm:ss.fff ";
            });
        }
        else
        {
            // Log collectors (containers, App Service): one JSON object per line.
            builder.Logging.AddJsonConsole(options =>
            {
                options.IncludeScopes = true;
                options.UseUtcTimestamp = true;
                options.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }

        customize?.Invoke(builder);
        builder.Services.AddSalesAutoCore(builder.Configuration);
        builder.Services.AddSalesAutoServer();

        var app = builder.Build();
        app.UseSalesAutoServer();
        return app;
    }

    /// <summary>Applies the migrations (the explicit command) after validating the settings.</summary>
    public static async Task MigrateAsync(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        _ = app.Services.GetRequiredService<IOptions<PostgresOptions>>().Value;
        var applied = await app.Services.GetRequiredService<PostgresMigrator>().MigrateAsync(CancellationToken.None);
        Console.WriteLine($"migrations applied: {applied.Count}");
    }
}
