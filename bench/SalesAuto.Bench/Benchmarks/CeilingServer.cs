using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace SalesAuto.Bench.Benchmarks;

/// <summary>
/// The ingest ceiling: a bare ASP.NET Core endpoint that reads the JSON body, takes its <c>_id</c>
/// and does one Npgsql INSERT (idempotent on the id, as SalesAuto's is). No verification, no
/// enrollment lookup, no middleware: what one INSERT per request costs on this machine.
/// Run as a child process: <c>SalesAuto.Bench.dll ceiling --urls http://127.0.0.1:port</c>,
/// with <c>ConnectionStrings__Postgres</c> pointing at the schema that holds <c>ceiling_events</c>.
/// </summary>
internal static class CeilingServer
{
    public const string TableSql = """
        create table ceiling_events (
            id          bigint generated always as identity primary key,
            event_id    text not null unique,
            payload     jsonb not null,
            received_at timestamptz not null default now()
        );
        """;

    public static async Task RunAsync(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.Logging.ClearProviders();
        var connectionString = builder.Configuration.GetConnectionString("Postgres") ?? throw new InvalidOperationException("ConnectionStrings:Postgres is required");
        // The same automatic preparation SalesAuto's data source uses (Postgres:MaxAutoPrepare 20),
        // so the ceiling is the best a bare endpoint does, not a handicapped one.
        builder.Services.AddSingleton(NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { MaxAutoPrepare = 20, AutoPrepareMinUsages = 2 }));
        var app = builder.Build();
        app.MapGet("/health", () => Results.Ok());
        app.MapPost("/ingest", async (HttpRequest request, NpgsqlDataSource dataSource, CancellationToken cancellationToken) =>
        {
            using var document = await JsonDocument.ParseAsync(request.Body, default, cancellationToken);
            var id = document.RootElement.GetProperty("_id").GetString();
            await using var command = dataSource.CreateCommand("insert into ceiling_events (event_id, payload) values ($1, $2) on conflict (event_id) do nothing");
            command.Parameters.Add(new NpgsqlParameter { Value = id });
            command.Parameters.Add(new NpgsqlParameter { Value = document.RootElement.GetRawText(), NpgsqlDbType = NpgsqlDbType.Jsonb });
            var applied = await command.ExecuteNonQueryAsync(cancellationToken);
            return Results.Json(new IngestAnswer(1, applied, 1 - applied, 0), CeilingJson.Default.IngestAnswer);
        });
        // The batch ceiling: a JSON array, one INSERT of all its elements (unnest), as SalesAuto stores a batch.
        app.MapPost("/ingest-batch", async (HttpRequest request, NpgsqlDataSource dataSource, CancellationToken cancellationToken) =>
        {
            using var document = await JsonDocument.ParseAsync(request.Body, default, cancellationToken);
            var ids = new List<string>();
            var payloads = new List<string>();
            foreach (var element in document.RootElement.EnumerateArray())
            {
                ids.Add("h" + element.GetProperty("eventId").GetRawText());
                payloads.Add(element.GetRawText());
            }

            await using var command = dataSource.CreateCommand("insert into ceiling_events (event_id, payload) select * from unnest($1::text[], $2::jsonb[]) on conflict (event_id) do nothing");
            command.Parameters.Add(new NpgsqlParameter { Value = ids.ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = payloads.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
            var applied = await command.ExecuteNonQueryAsync(cancellationToken);
            return Results.Json(new IngestAnswer(ids.Count, applied, ids.Count - applied, 0), CeilingJson.Default.IngestAnswer);
        });
        await app.RunAsync();
    }
}

internal sealed record IngestAnswer(int Received, int Applied, int Duplicates, int Orphaned);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
[System.Text.Json.Serialization.JsonSerializable(typeof(IngestAnswer))]
internal sealed partial class CeilingJson : System.Text.Json.Serialization.JsonSerializerContext;
