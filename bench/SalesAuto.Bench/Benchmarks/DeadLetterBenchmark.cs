using System.Buffers.Binary;
using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Npgsql;
using SalesAuto.Bench.Infrastructure;

namespace SalesAuto.Bench.Benchmarks;

/// <summary>
/// Benchmark 4, dead letters at scale (bench/dlq.sh): a million dead letters bulk-inserted with
/// generate_series into a schema of their own (statement-level triggers keep the counts table, as
/// in production), VACUUM ANALYZE, then SalesAuto.Server as a child process answers the list
/// (first page, a deep cursor, filters) and the stats over HTTP, one request at a time.
/// </summary>
internal static class DeadLetterBenchmark
{
    private const string Schema = "bench_dlq";
    private const string Filter = "status=failed&source=hubspot&type=email.clicked";

    public static async Task<Report> RunAsync(Cli cli, Machine machine, string command)
    {
        var rows = cli.Int("rows", 1_000_000);
        var requests = cli.Int("requests", 200);
        var settle = cli.Duration("settle", "0s");
        // --compare-index: every query is measured with and without migration 0007's index, the
        // blocks alternating between the two (the index is dropped and built again in between).
        var compareIndex = cli.OptionalString("compare-index") is "true" or "on" or "yes";
        // --compare-gc: two servers side by side, the shipped one (Server GC, as the Web SDK sets
        // it) and one with workstation GC (DOTNET_gcServer=0), the blocks alternating between them.
        // --compare-gc workstation-first: the same with the arms' blocks swapped, so that the order
        // of the blocks (the first comes right after the bulk insert) cannot favour one arm.
        var compareGcOption = cli.OptionalString("compare-gc");
        var compareGc = compareGcOption is "true" or "on" or "yes" or "workstation-first";
        var workstationFirst = compareGcOption == "workstation-first";
        cli.RejectUnknown();
        if (compareIndex && compareGc)
        {
            throw new ArgumentException("--compare-index and --compare-gc cannot be combined.");
        }

        var report = new Report("Dead letters at scale", command);
        report.Size(Fmt.Inv($"Sizes: {rows:N0} dead letters (60% failed, 25% replayed, 14% ignored, 1% replaying; 3 sources x 5 types; created over {rows / 86_400.0:0.#} days, 50 per statement-time); {requests} timed requests per query after 20 untimed, one at a time, through HTTP with the admin key; the queries take turns in 4 blocks."));
        await using var redis = await PrivateRedis.StartAsync();
        await machine.AddPostgresVersionAsync(BenchEnvironment.Postgres);
        var postgres = await BenchEnvironment.RecreateMigratedSchemaAsync(Schema);
        await using var server = await ServerSettings.StartAsync(ServerSettings.For(postgres, redis.ConnectionString, "bench:dlq:"));
        var workstationSettings = ServerSettings.For(postgres, redis.ConnectionString, "bench:dlq:");
        workstationSettings["DOTNET_gcServer"] = "0";
        await using var workstation = compareGc ? await ServerSettings.StartAsync(workstationSettings) : null;

        Console.WriteLine($"inserting {rows:N0} dead letters ...");
        var insertTime = await Timing.TimeAsync(() => InsertAsync(postgres, rows));
        report.Size(Fmt.Inv($"Bulk insert: {insertTime.TotalSeconds:0}s including VACUUM ANALYZE; table {await Db.TextAsync(postgres, "select pg_size_pretty(pg_total_relation_size('dead_letters'))")} with its indexes."));

        if (settle > TimeSpan.Zero)
        {
            // Lets the checkpoint that follows the bulk insert (hundreds of MB of WAL) finish first.
            report.Size(Fmt.Inv($"Settle: {settle.TotalSeconds:0}s of waiting between the bulk insert and the first request."));
            await Task.Delay(settle);
        }

        using var client = LoadGenerator.CreateClient(server.BaseAddress, 1);
        client.DefaultRequestHeaders.Add("x-functions-key", Webhooks.AdminKey);
        using var workstationClient = workstation is null ? null : LoadGenerator.CreateClient(workstation.BaseAddress, 1);
        workstationClient?.DefaultRequestHeaders.Add("x-functions-key", Webhooks.AdminKey);
        var deep = (int)(rows * 0.9);
        var filteredCount = await Db.ScalarAsync(postgres, "select count(*) from dead_letters where status = 'failed' and source = 'hubspot' and type = 'email.clicked'");
        const string Columns = "id, source, event_id as eventid, type, campaign_id as campaignid, status, failure_reason as failurereason, attempts, replay_count as replaycount, first_seen_at as firstseenat, created_at as createdat, updated_at as updatedat, resolved_at as resolvedat";
        const string Order = " order by created_at desc, id desc limit ";
        const string FilterSql = "status = 'failed' and source = 'hubspot' and type = 'email.clicked'";
        var (deepCursor, deepAt, deepId) = await DeepCursorAsync(client, postgres, string.Empty, "true", deep);
        var filteredDeep = (int)(filteredCount * 0.9);
        var (filteredCursor, filteredAt, filteredId) = await DeepCursorAsync(client, postgres, Filter, FilterSql, filteredDeep);
        var (from, to) = await WindowAsync(postgres);
        var window = Fmt.Inv($"from={from:yyyy-MM-ddTHH:mm:ssZ}&to={to:yyyy-MM-ddTHH:mm:ssZ}");
        var queries = new List<(string Name, string Url, bool IsStats, string? Sql)>
        {
            ("list, first page (limit 50)", "/api/dlq", false, $"select {Columns} from dead_letters{Order}51"),
            ("list, first page (limit 200)", "/api/dlq?limit=200", false, $"select {Columns} from dead_letters{Order}201"),
            (Fmt.Inv($"list, deep cursor (after row {deep:N0})"), "/api/dlq?cursor=" + deepCursor, false,
                $"select {Columns} from dead_letters where (created_at, id) < ('{deepAt:O}'::timestamptz, '{deepId}'::uuid){Order}51"),
            ($"list, filtered ({Filter})", "/api/dlq?" + Filter, false, $"select {Columns} from dead_letters where {FilterSql}{Order}51"),
            (Fmt.Inv($"list, filtered, deep cursor (after row {filteredDeep:N0} of {filteredCount:N0})"), $"/api/dlq?{Filter}&cursor=" + filteredCursor, false,
                $"select {Columns} from dead_letters where {FilterSql} and (created_at, id) < ('{filteredAt:O}'::timestamptz, '{filteredId}'::uuid){Order}51"),
            ("list, filtered by status only (status=ignored)", "/api/dlq?status=ignored", false, $"select {Columns} from dead_letters where status = 'ignored'{Order}51"),
            ("list, one-hour window (from, to) in the middle", "/api/dlq?" + window, false,
                $"select {Columns} from dead_letters where created_at >= '{from:O}'::timestamptz and created_at <= '{to:O}'::timestamptz{Order}51"),
            ("stats", "/api/dlq/stats", true,
                "select source, type, status, count from dead_letter_counts where count <> 0 order by source, type, status; select floor(extract(epoch from now() - min(created_at)))::bigint from dead_letters where status in ('failed', 'replaying')"),
            ("HTTP floor: GET /api/openapi.json (no database)", "/api/openapi.json", true, null),
        };

        var arms = compareIndex ? new[] { "with 0007 index", "without 0007 index" }
            : compareGc ? ["Server GC (shipped)", "workstation GC"] : [string.Empty];
        var table = compareIndex || compareGc
            ? report.Table(string.Empty, "query", compareIndex ? "index" : "server", "p50 ms", "p99 ms", "max ms", "items on the page", "its SQL alone: p50, p99 ms", "goal", "met")
            : report.Table(string.Empty, "query", "p50 ms", "p99 ms", "max ms", "items on the page", "its SQL alone: p50, p99 ms", "goal", "met");
        // Every query is warmed up, then the queries take turns in blocks, so a checkpoint or a
        // burst of other work on the machine falls on all of them rather than on whichever ran then.
        const int Blocks = 4;
        var httpTicks = arms.Select(_ => queries.Select(_ => new List<long>()).ToList()).ToList();
        var sqlTicks = arms.Select(_ => queries.Select(_ => new List<long>()).ToList()).ToList();
        var pageItems = new int[queries.Count];
        var indexPresent = true;
        for (var block = -1; block < Blocks; block++)
        {
            // Under --compare-index even blocks run with the index, odd ones without; under
            // --compare-gc even blocks ask the shipped server, odd ones the workstation-GC one.
            var arm = (compareIndex || compareGc) && block >= 0 ? (workstationFirst ? 1 - (block % 2) : block % 2) : 0;
            if (compareIndex && (arm == 0) != indexPresent)
            {
                await SetIndexAsync(postgres, present: arm == 0);
                indexPresent = arm == 0;
            }

            Console.WriteLine(block < 0 ? "warm-up ..." : $"block {block + 1}/{Blocks} ({(compareIndex || compareGc ? arms[arm] : "measured")}) ...");
            for (var q = 0; q < queries.Count; q++)
            {
                var count = block < 0 ? 20 : requests / Blocks;
                if (block < 0 && workstationClient is not null)
                {
                    await MeasureAsync(workstationClient, queries[q].Url, count, null);
                }

                pageItems[q] = await MeasureAsync(arm == 1 && workstationClient is not null ? workstationClient : client, queries[q].Url, count, block < 0 ? null : httpTicks[arm][q]);
                if (queries[q].Sql is { } statement)
                {
                    await MeasureSqlAsync(postgres, statement, count, block < 0 ? null : sqlTicks[arm][q]);
                }
            }
        }

        for (var q = 0; q < queries.Count; q++)
        {
            for (var arm = 0; arm < arms.Length; arm++)
            {
                var (name, _, isStats, sql) = queries[q];
                var latencies = new Latencies(httpTicks[arm][q]);
                var sqlLatencies = sql is null ? null : new Latencies(sqlTicks[arm][q]);
                var items = pageItems[q];
                var limit = isStats ? 50 : 5;
                var isGoal = sql is not null;
                List<string> cells = [name];
                if (compareIndex || compareGc)
                {
                    cells.Add(arms[arm]);
                }

                cells.AddRange([Fmt.Ms(latencies.P50), Fmt.Ms(latencies.P99), Fmt.Ms(latencies.Max), isStats ? "-" : items.ToString(CultureInfo.InvariantCulture),
                    sqlLatencies is null ? "-" : $"{Fmt.Ms(sqlLatencies.P50)}, {Fmt.Ms(sqlLatencies.P99)}",
                    isGoal ? Fmt.Inv($"p99 <= {limit} ms") : "(reference)", isGoal ? Fmt.Met(latencies.P99 <= limit) : "-"]);
                table.Add([.. cells]);
            }
        }

        if (compareIndex)
        {
            report.Note(Fmt.Inv($"--compare-index: blocks 1 and 3 ran with migration 0007's index (dead_letters_status_source_type_created_idx), blocks 2 and 4 without it (dropped, then built again before block 3), {requests / 2} timed requests per query and arm."));
        }

        if (compareGc)
        {
            report.Note(Fmt.Inv($"--compare-gc: blocks {(workstationFirst ? "2 and 4" : "1 and 3")} asked the shipped server (Server GC, System.GC.Server true in its runtimeconfig), blocks {(workstationFirst ? "1 and 3" : "2 and 4")} a second server started beside it with DOTNET_gcServer=0 (workstation, concurrent GC), same build, schema and settings; {requests / 2} timed requests per query and arm. The SQL-alone column is the same bench connection for both arms."));
        }

        // Where the tail falls: a query's slowest 1% of requests, and how many of them were among
        // the first ten of their block (right after the previous query's run).
        var perBlock = Math.Max(1, requests / Blocks);
        report.Note("Where each p99 comes from (the slowest 1% of a query's timed requests, how many of them were among the first 10 of their block, right after another query's run, and how many fell in each block): "
            + string.Join("; ", queries.Select((query, q) =>
            {
                var ticks = httpTicks[0][q];
                var tail = Math.Max(1, ticks.Count / 100);
                var slowest = ticks.Select((t, i) => (t, i)).OrderByDescending(x => x.t).Take(tail).ToList();
                var byBlock = string.Join("/", Enumerable.Range(0, Math.Max(1, ticks.Count / perBlock)).Select(b => slowest.Count(x => x.i / perBlock == b)));
                return Fmt.Inv($"{query.Name}: {slowest.Count(x => x.i % perBlock < 10)} of {tail} (by block {byBlock})");
            })) + ".");
        report.Note("\"Its SQL alone\": the same statement as the store's (a copy of PostgresDeadLetterStore's list and stats SQL, literals in place of parameters), timed by the bench over one Npgsql connection: the database's share of the HTTP figure. The HTTP floor row is the server's cheapest route, for the share of Kestrel, the middleware and loopback.");
        report.Note("Latency is the client's: request sent to the whole answer read, loopback HTTP included, through the Server's full middleware (correlation id, metrics, admin key, rate limiter).");
        await server.DisposeAsync();
        await BenchEnvironment.DropSchemaAsync(Schema);
        return report;
    }

    private static async Task SetIndexAsync(string postgres, bool present)
    {
        // The definition of migration 0007: the A/B is the migration or its absence.
        const string Create = "create index if not exists dead_letters_status_source_type_created_idx on dead_letters (status, source, type, created_at desc, id desc)";
        const string Drop = "drop index if exists dead_letters_status_source_type_created_idx";
        Console.WriteLine(present ? "building the 0007 index ..." : "dropping the 0007 index ...");
        await using var connection = new NpgsqlConnection(postgres);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(present ? Create : Drop, connection) { CommandTimeout = 1800 };
        await command.ExecuteNonQueryAsync();
        await using var analyze = new NpgsqlCommand("analyze dead_letters", connection) { CommandTimeout = 1800 };
        await analyze.ExecuteNonQueryAsync();
    }

    private static async Task InsertAsync(string postgres, int rows)
    {
        const string Sql = """
            insert into dead_letters (source, event_id, type, campaign_id, status, payload, failure_reason, attempts, first_seen_at, created_at, updated_at, resolved_at)
            select (array['lemlist', 'hubspot', 'standard'])[1 + i % 3],
                   'evt_' || i,
                   (array['email.opened', 'email.sent', 'email.clicked', 'email.replied', 'contact.updated'])[1 + (i / 3) % 5],
                   'cam_' || (i % 1000),
                   s.status,
                   jsonb_build_object('_id', 'evt_' || i, 'type', 'emailsOpened', 'campaignId', 'cam_' || (i % 1000), 'leadEmail', 'lead' || i || '@bench.example', 'createdAt', t.at),
                   'enrollment not found after 6 attempts',
                   6,
                   t.at - interval '2 hours',
                   t.at,
                   t.at,
                   case when s.status in ('replayed', 'ignored') then t.at + interval '1 hour' end
            from generate_series(0, @rows - 1) i
            cross join lateral (select now() - make_interval(secs => (i / 50) * 50) as at) t
            cross join lateral (select case when i % 100 < 60 then 'failed' when i % 100 < 85 then 'replayed' when i % 100 < 99 then 'ignored' else 'replaying' end as status) s;
            """;

        await using var connection = new NpgsqlConnection(postgres);
        await connection.OpenAsync();
        await using (var command = new NpgsqlCommand(Sql, connection) { CommandTimeout = 1800 })
        {
            command.Parameters.AddWithValue("rows", rows);
            await command.ExecuteNonQueryAsync();
        }

        foreach (var table in new[] { "dead_letters", "dead_letter_counts" })
        {
            // VACUUM refuses to run in a multi-statement batch: one statement each.
            await using var vacuum = new NpgsqlCommand($"vacuum analyze {table}", connection) { CommandTimeout = 1800 };
            await vacuum.ExecuteNonQueryAsync();
        }
    }

    // A cursor positioned after row `offset` of the list's order (created_at desc, id desc) under
    // the filter: the API's own first-page cursor (which carries the filter's digest) with its
    // position replaced by that row's (DeadLetterCursor: version, created_at µs, id, digest).
    private static async Task<(string Cursor, DateTimeOffset CreatedAt, Guid Id)> DeepCursorAsync(HttpClient client, string postgres, string query, string where, int offset)
    {
        using var response = await client.GetAsync("/api/dlq?limit=1" + (query.Length > 0 ? "&" + query : string.Empty));
        response.EnsureSuccessStatusCode();
        var page = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var bytes = Base64Url.DecodeFromChars(page.GetProperty("nextCursor").GetString()!);

        await using var connection = new NpgsqlConnection(postgres);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"select created_at, id from dead_letters where {where} order by created_at desc, id desc offset @offset limit 1", connection);
        command.Parameters.AddWithValue("offset", offset);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        var createdAt = reader.GetFieldValue<DateTimeOffset>(0);
        var id = reader.GetGuid(1);
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(1), (createdAt.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10);
        id.TryWriteBytes(bytes.AsSpan(9, 16), bigEndian: true, out _);
        return (Base64Url.EncodeToString(bytes), createdAt, id);
    }

    private static async Task<(DateTimeOffset From, DateTimeOffset To)> WindowAsync(string postgres)
    {
        var middle = DateTimeOffset.Parse(await Db.TextAsync(postgres, "select to_char((min(created_at) + (max(created_at) - min(created_at)) / 2) at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') from dead_letters"), CultureInfo.InvariantCulture);
        return (middle, middle.AddHours(1));
    }

    private static async Task MeasureSqlAsync(string postgres, string sql, int count, List<long>? ticks)
    {
        await using var connection = new NpgsqlConnection(postgres);
        await connection.OpenAsync();
        for (var i = 0; i < count; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await using (var command = new NpgsqlCommand(sql, connection))
            await using (var reader = await command.ExecuteReaderAsync())
            {
                do
                {
                    while (await reader.ReadAsync())
                    {
                    }
                }
                while (await reader.NextResultAsync());
            }

            ticks?.Add(Stopwatch.GetTimestamp() - started);
        }
    }

    // Sends the request `count` times; keeps each latency in `ticks` (null: warm-up); returns the page's item count.
    private static async Task<int> MeasureAsync(HttpClient client, string url, int count, List<long>? ticks)
    {
        var items = 0;
        for (var i = 0; i < count; i++)
        {
            var started = Stopwatch.GetTimestamp();
            using var response = await client.GetAsync(url);
            var body = await response.Content.ReadAsStringAsync();
            var elapsed = Stopwatch.GetTimestamp() - started;
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"GET {url} answered {(int)response.StatusCode}: {body}");
            }

            ticks?.Add(elapsed);
            if (i == 0 && JsonDocument.Parse(body).RootElement.TryGetProperty("items", out var list))
            {
                items = list.GetArrayLength();
            }
        }

        return items;
    }
}
