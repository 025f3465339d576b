using System.Text.Json;
using Npgsql;
using SalesAuto.Bench.Infrastructure;

namespace SalesAuto.Bench.Benchmarks;

/// <summary>
/// Benchmark 1, ingest (bench/ingest.sh): signed webhooks at a fixed concurrency against
/// SalesAuto.Server, and the same single-event load against a bare one-INSERT endpoint (the
/// ceiling), one after the other in the same run, from the same generator. Single Lemlist events
/// and HubSpot batches, each over many campaigns and over one hot campaign.
/// </summary>
internal static class IngestBenchmark
{
    private const string Schema = "bench_ingest";
    private const string CeilingSchema = "bench_ceiling";
    private const string BaselineSchema = "bench_ingest_base";

    public static async Task<Report> RunAsync(Cli cli, Machine machine, string command)
    {
        var duration = cli.Duration("duration", "20s");
        var warmup = cli.Duration("warmup", "3s");
        var serverWarmup = cli.Duration("server-warmup", "15s");
        var rounds = cli.Int("rounds", 2);
        var concurrency = cli.Int("concurrency", 32);
        var batchConcurrency = cli.Int("batch-concurrency", 8);
        var batchSize = cli.Int("batch-size", 100);
        var campaigns = cli.Int("campaigns", 1000);
        var enrollments = cli.Int("enrollments", 100_000);
        var hotEnrollments = cli.Int("hot-enrollments", 1000);
        var maxAutoPrepare = cli.OptionalString("max-auto-prepare");
        var compareMaxAutoPrepare = cli.OptionalString("compare-max-auto-prepare");
        var compareServer = cli.OptionalString("compare-server");
        var only = cli.OptionalString("only");
        cli.RejectUnknown();

        var report = new Report("Ingest", command);
        report.Size(Fmt.Inv($"Sizes: every scenario first runs {serverWarmup.TotalSeconds:0}s unmeasured once, so the servers are past the JIT's start-up work (a profile showed the JIT thread at 23% of the server's CPU 15-35 s into the load, 0.3% at two minutes); then {duration.TotalSeconds:0}s measured per scenario in {rounds} rounds (each round: {warmup.TotalSeconds:0}s warm-up, then {duration.TotalSeconds / rounds:0.#}s; the scenarios take turns, so a change in the machine's load hits all of them); single events at concurrency {concurrency}, batches of {batchSize} at concurrency {batchConcurrency}; {enrollments:N0} enrollments over {campaigns:N0} campaigns, plus one hot campaign of {hotEnrollments:N0} enrollments."));

        await using var redis = await PrivateRedis.StartAsync();
        var postgres = await BenchEnvironment.RecreateMigratedSchemaAsync(Schema);
        var ceilingPostgres = await BenchEnvironment.RecreateSchemaAsync(CeilingSchema);
        await machine.AddPostgresVersionAsync(BenchEnvironment.Postgres);
        machine.AddVersion("server and ceiling are child processes; the load generator shares the machine");
        report.Size($"Redis: {PrivateRedis.Describe(redis.Port)} (only the server's health and cycle touch it here: no event is an orphan).");
        if (maxAutoPrepare is not null)
        {
            report.Size($"Experiment: the server runs with Postgres:MaxAutoPrepare={maxAutoPrepare} (not the shipped default).");
        }

        await Db.ExecuteAsync(ceilingPostgres, CeilingServer.TableSql);
        await using var ceiling = await ChildServer.StartAsync(
            Path.Combine(AppContext.BaseDirectory, "SalesAuto.Bench.dll"), ["ceiling"],
            new Dictionary<string, string> { ["ConnectionStrings__Postgres"] = ceilingPostgres }, "/health");
        var serverSettings = ServerSettings.For(postgres, redis.ConnectionString, "bench:ingest:");
        if (maxAutoPrepare is not null)
        {
            serverSettings["Postgres__MaxAutoPrepare"] = maxAutoPrepare;
        }

        await using var server = await ServerSettings.StartAsync(serverSettings);
        await SeedAsync(postgres, campaigns, enrollments, hotEnrollments);
        using var ceilingClient = LoadGenerator.CreateClient(ceiling.BaseAddress, Math.Max(concurrency, batchConcurrency));
        using var client = LoadGenerator.CreateClient(server.BaseAddress, Math.Max(concurrency, batchConcurrency));

        // An A/B experiment in the same rounds: a second server that differs only in
        // Postgres:MaxAutoPrepare (Npgsql's automatic preparation), same schema, other event ids.
        var preparedSettings = ServerSettings.For(postgres, redis.ConnectionString, "bench:ingest-ap:");
        preparedSettings["Postgres__MaxAutoPrepare"] = compareMaxAutoPrepare ?? "0";
        await using var prepared = compareMaxAutoPrepare is not null ? await ServerSettings.StartAsync(preparedSettings) : null;
        using var preparedClient = prepared is null ? null : LoadGenerator.CreateClient(prepared.BaseAddress, Math.Max(concurrency, batchConcurrency));
        if (prepared is not null)
        {
            report.Size($"Experiment: the rows marked \"MaxAutoPrepare={compareMaxAutoPrepare}\" come from a second SalesAuto.Server, identical but for Postgres:MaxAutoPrepare={compareMaxAutoPrepare}, run in the same rounds.");
        }

        // An A/B of two builds in the same rounds: another SalesAuto.Server.dll (say, main's, built
        // elsewhere) on a schema of its own that it migrates itself, so its migrations are its own.
        var baselinePostgres = compareServer is null ? null : await BenchEnvironment.RecreateSchemaAsync(BaselineSchema);
        var baselineSettings = baselinePostgres is null ? null : ServerSettings.For(baselinePostgres, redis.ConnectionString, "bench:ingest-base:");
        await using var baseline = compareServer is null || baselineSettings is null ? null : await ServerSettings.StartAsync(baselineSettings, Path.GetFullPath(compareServer));
        if (baseline is not null && baselinePostgres is not null)
        {
            await SeedAsync(baselinePostgres, campaigns, enrollments, hotEnrollments);
            report.Size($"Experiment: the rows marked \"baseline\" come from another build of SalesAuto.Server ({compareServer}) on a schema of its own ({BaselineSchema}, migrated by that build), seeded the same, run in the same rounds.");
        }

        using var baselineClient = baseline is null ? null : LoadGenerator.CreateClient(baseline.BaseAddress, Math.Max(concurrency, batchConcurrency));

        var scenarios = new List<(string Key, string Name, HttpClient Client, int Pid, int Concurrency, int Events, Func<long, HttpRequestMessage> Request, string Source)>
        {
            ("ceiling", "ceiling: bare endpoint, one INSERT per request", ceilingClient, ceiling.ProcessId, concurrency, 1,
                n => new HttpRequestMessage(HttpMethod.Post, "/ingest") { Content = Webhooks.Json(LemlistMany(n, "c", campaigns, enrollments)) }, "ceiling"),
            ("lemlist-many", "SalesAuto: Lemlist single events, many campaigns", client, server.ProcessId, concurrency, 1,
                n => Webhooks.Lemlist(LemlistMany(n, "m", campaigns, enrollments)), "lemlist"),
            ("lemlist-hot", "SalesAuto: Lemlist single events, one hot campaign", client, server.ProcessId, concurrency, 1,
                n => Webhooks.Lemlist(Webhooks.LemlistActivity($"act_h_{n}", "cam_hot", $"hot{Spread(n, hotEnrollments)}@bench.example", n)), "lemlist"),
            ("ceiling-batch", $"ceiling: bare endpoint, batches of {batchSize} in one INSERT", ceilingClient, ceiling.ProcessId, batchConcurrency, batchSize,
                n => new HttpRequestMessage(HttpMethod.Post, "/ingest-batch") { Content = Webhooks.Json(Webhooks.HubSpotBatch(3_000_000_000L + (n * batchSize), i => 100_000 + Spread((n * batchSize) + i, enrollments), batchSize)) }, "ceiling"),
            ("hubspot-many", $"SalesAuto: HubSpot batches of {batchSize}, many campaigns", client, server.ProcessId, batchConcurrency, batchSize,
                n => Webhooks.HubSpot(Webhooks.HubSpotBatch(1_000_000_000L + (n * batchSize), i => 100_000 + Spread((n * batchSize) + i, enrollments), batchSize)), "hubspot"),
            ("hubspot-hot", $"SalesAuto: HubSpot batches of {batchSize}, one hot campaign", client, server.ProcessId, batchConcurrency, batchSize,
                n => Webhooks.HubSpot(Webhooks.HubSpotBatch(2_000_000_000L + (n * batchSize), i => 900_000 + Spread((n * batchSize) + i, hotEnrollments), batchSize)), "hubspot"),
        };
        if (prepared is not null && preparedClient is not null)
        {
            scenarios.Insert(2, ("lemlist-many-ap", $"experiment, MaxAutoPrepare={compareMaxAutoPrepare}: Lemlist single events, many campaigns", preparedClient, prepared.ProcessId, concurrency, 1,
                n => Webhooks.Lemlist(LemlistMany(n, "p", campaigns, enrollments)), "lemlist"));
            scenarios.Add(("hubspot-many-ap", $"experiment, MaxAutoPrepare={compareMaxAutoPrepare}: HubSpot batches of {batchSize}, many campaigns", preparedClient, prepared.ProcessId, batchConcurrency, batchSize,
                n => Webhooks.HubSpot(Webhooks.HubSpotBatch(4_000_000_000L + (n * batchSize), i => 100_000 + Spread((n * batchSize) + i, enrollments), batchSize)), "hubspot"));
        }

        if (baseline is not null && baselineClient is not null)
        {
            scenarios.Insert(2, ("lemlist-many-base", "baseline build: Lemlist single events, many campaigns", baselineClient, baseline.ProcessId, concurrency, 1,
                n => Webhooks.Lemlist(LemlistMany(n, "b", campaigns, enrollments)), "lemlist-base"));
            scenarios.Insert(4, ("lemlist-hot-base", "baseline build: Lemlist single events, one hot campaign", baselineClient, baseline.ProcessId, concurrency, 1,
                n => Webhooks.Lemlist(Webhooks.LemlistActivity($"act_hb_{n}", "cam_hot", $"hot{Spread(n, hotEnrollments)}@bench.example", n)), "lemlist-base"));
            scenarios.Add(("hubspot-many-base", $"baseline build: HubSpot batches of {batchSize}, many campaigns", baselineClient, baseline.ProcessId, batchConcurrency, batchSize,
                n => Webhooks.HubSpot(Webhooks.HubSpotBatch(5_000_000_000L + (n * batchSize), i => 100_000 + Spread((n * batchSize) + i, enrollments), batchSize)), "hubspot-base"));
        }

        var selected = scenarios.Where(s => only is null || only.Split(',').Contains(s.Key)).ToList();
        var merged = new LoadResult?[selected.Count];
        var appCpu = new double[selected.Count];
        var postgresCpu = new double[selected.Count];
        var walBytes = new double[selected.Count];
        var walFullPages = new double[selected.Count];
        var meteredEvents = new long[selected.Count]; // the rounds' events, each round's warm-up included: what the meters saw
        var sequences = new long[selected.Count];
        // Unmeasured (no window): only its stored events count, for the check below.
        for (var i = 0; serverWarmup > TimeSpan.Zero && i < selected.Count; i++)
        {
            var scenario = selected[i];
            Console.WriteLine($"server warm-up: {scenario.Name} ...");
            var offset = sequences[i];
            merged[i] = await new LoadGenerator(scenario.Client).RunAsync(n => scenario.Request(offset + n), scenario.Events, scenario.Concurrency, serverWarmup, TimeSpan.Zero);
            sequences[i] += 1_000_000;
        }

        for (var round = 1; round <= rounds; round++)
        {
            for (var i = 0; i < selected.Count; i++)
            {
                var scenario = selected[i];
                Console.WriteLine($"round {round}/{rounds}: {scenario.Name} ...");
                // Request numbers continue across rounds: every event id stays unique.
                var offset = sequences[i];
                var wal0 = await WalAsync(postgres);
                var (app0, pg0) = (CpuMeter.ProcessSeconds(scenario.Pid), CpuMeter.PostgresSeconds());
                var result = await new LoadGenerator(scenario.Client).RunAsync(n => scenario.Request(offset + n), scenario.Events, scenario.Concurrency, warmup, duration / rounds);
                appCpu[i] += CpuMeter.ProcessSeconds(scenario.Pid) - app0;
                postgresCpu[i] += CpuMeter.PostgresSeconds() - pg0;
                var wal1 = await WalAsync(postgres);
                walBytes[i] += wal1.Bytes - wal0.Bytes;
                walFullPages[i] += wal1.FullPages - wal0.FullPages;
                sequences[i] += 1_000_000;
                meteredEvents[i] += result.AllEvents;
                merged[i] = LoadResult.Merge(merged[i], result);
            }
        }

        var results = selected.Select((s, i) => (s.Name, s.Concurrency, Result: merged[i]!, s.Source)).ToList();
        // Per event the meters saw: the server warm-up's events are in AllEvents (for the stored-rows check) but not metered.
        var cpu = selected.Select((s, i) => (App: appCpu[i] / meteredEvents[i] * 1e6, Postgres: postgresCpu[i] / meteredEvents[i] * 1e6,
            WalBytes: walBytes[i] / meteredEvents[i], WalFullPages: walFullPages[i] / meteredEvents[i])).ToList();
        await CheckStoredAsync(report, postgres, ceilingPostgres, results, client, baselinePostgres);

        var table = report.Table(string.Empty, "scenario", "concurrency", "requests/s", "events/s", "p50 ms", "p99 ms", "max ms", "errors", "CPU µs/event: app, Postgres", "WAL bytes/event (full pages)", "goal", "met");
        var ceilingResult = results.FirstOrDefault(r => r.Name.StartsWith("ceiling: bare endpoint, one INSERT per request", StringComparison.Ordinal)).Result;
        var batchMany = results.FirstOrDefault(r => r.Name.Contains("HubSpot batches", StringComparison.Ordinal) && r.Name.EndsWith("many campaigns", StringComparison.Ordinal)).Result;
        // The many-campaigns row of the same server (SalesAuto's, or the baseline build's) as a hot row.
        LoadResult? SameServerMany(string hotName) => results.FirstOrDefault(r => r.Name == hotName.Replace("one hot campaign", "many campaigns", StringComparison.Ordinal)).Result;
        foreach (var ((name, c, result, _), (app, pg, wal, fpi)) in results.Zip(cpu))
        {
            var (goal, met) = name switch
            {
                _ when name.StartsWith("ceiling", StringComparison.Ordinal) => ("reference", "-"),
                _ when name.Contains("Lemlist single events, many", StringComparison.Ordinal) && ceilingResult is not null =>
                    (Fmt.Inv($">= 60% of ceiling req/s, p99 <= 2x: {result.RequestsPerSecond / ceilingResult.RequestsPerSecond:P0}, {result.Latencies.P99 / ceilingResult.Latencies.P99:0.00}x"),
                        Fmt.Met(result.RequestsPerSecond >= 0.6 * ceilingResult.RequestsPerSecond && result.Latencies.P99 <= 2 * ceilingResult.Latencies.P99)),
                _ when name.Contains("Lemlist single events, one hot", StringComparison.Ordinal) && SameServerMany(name) is { } many =>
                    (Fmt.Inv($">= 90% of many campaigns (no hot-row collapse): {result.EventsPerSecond / many.EventsPerSecond:P0}"),
                        Fmt.Met(result.EventsPerSecond >= 0.9 * many.EventsPerSecond)),
                _ when name.Contains("HubSpot", StringComparison.Ordinal) && name.EndsWith("many campaigns", StringComparison.Ordinal) =>
                    (">= 20,000 events/s", Fmt.Met(result.EventsPerSecond >= 20_000)),
                _ when name.Contains("HubSpot", StringComparison.Ordinal) && batchMany is not null =>
                    (Fmt.Inv($">= 20,000 events/s; >= 90% of many campaigns: {result.EventsPerSecond / batchMany.EventsPerSecond:P0}"),
                        Fmt.Met(result.EventsPerSecond >= 20_000 && result.EventsPerSecond >= 0.9 * batchMany.EventsPerSecond)),
                _ => ("-", "-"),
            };
            table.Add([name, c.ToString(System.Globalization.CultureInfo.InvariantCulture), Fmt.N0(result.RequestsPerSecond), Fmt.N0(result.EventsPerSecond),
                Fmt.Ms(result.Latencies.P50), Fmt.Ms(result.Latencies.P99), Fmt.Ms(result.Latencies.Max), result.DescribeErrors(), $"{Fmt.N0(app)}, {Fmt.N0(pg)}", Fmt.Inv($"{wal:N0} ({fpi:0.00})"), goal, met]);
        }

        report.Note("Latency is measured by the generator from sending the request to reading the whole answer. Requests that start in the warm-up or end after the measured window do not count.");
        report.Note("CPU µs/event: the server process's CPU time (/proc/<pid>/stat) and the sum over every `postgres` process, over the measured rounds (each round's warm-up included, the unmeasured server warm-up not), divided by the events of those rounds; the Postgres figure also catches any other work on that cluster, so it is approximate.");
        report.Note("WAL bytes/event: the growth of pg_stat_wal's wal_bytes (and wal_fpi, full-page images) over the scenario's rounds, warm-up included, divided by its events; cluster-wide, like the CPU figure. Full-page images follow checkpoints: the first change to a page after one logs the whole page.");
        report.Note(Fmt.Inv($"Postgres: the cluster of ConnectionStrings__Postgres (scripts/deps.sh's unless set: fsync on, shared_buffers 256MB), port {new NpgsqlConnectionStringBuilder(BenchEnvironment.Postgres).Port}; other work on the machine during the run shows up as noise (see the load average)."));
        return report;
    }

    // pg_stat_wal is cluster-wide: every schema of the run shares it.
    private static async Task<(long Bytes, long FullPages)> WalAsync(string postgres) =>
        (await Db.ScalarAsync(postgres, "select wal_bytes::bigint from pg_stat_wal"), await Db.ScalarAsync(postgres, "select wal_fpi from pg_stat_wal"));

    // Enrollment i of the many-campaign set is in campaign i % campaigns; events spread over them.
    private static string LemlistMany(long n, string tag, int campaigns, int enrollments)
    {
        var i = Spread(n, enrollments);
        return Webhooks.LemlistActivity($"act_{tag}_{n}", $"cam_{i % campaigns}", $"lead{i}@bench.example", n);
    }

    // A fixed permutation-like spread of n over [0, count): consecutive requests hit different rows.
    private static int Spread(long n, int count) => (int)((n * 7919L) % count);

    private static async Task SeedAsync(string postgres, int campaigns, int enrollments, int hotEnrollments)
    {
        const string Sql = """
            insert into campaigns (id, name) select 'cam_' || c, 'Bench ' || c from generate_series(0, @campaigns - 1) c;
            insert into campaigns (id, name) values ('cam_hot', 'Bench hot');
            insert into enrollments (campaign_id, email, crm_contact_id)
                select 'cam_' || (i % @campaigns), 'lead' || i || '@bench.example', (100000 + i)::text from generate_series(0, @enrollments - 1) i;
            insert into enrollments (campaign_id, email, crm_contact_id)
                select 'cam_hot', 'hot' || j || '@bench.example', (900000 + j)::text from generate_series(0, @hot - 1) j;
            analyze campaigns; analyze enrollments;
            """;

        await using var connection = new NpgsqlConnection(postgres);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(Sql, connection);
        command.Parameters.AddWithValue("campaigns", campaigns);
        command.Parameters.AddWithValue("enrollments", enrollments);
        command.Parameters.AddWithValue("hot", hotEnrollments);
        await command.ExecuteNonQueryAsync();
    }

    // Every event answered 200 must be a row, once; the hot campaign's stats must count exactly its rows.
    private static async Task CheckStoredAsync(Report report, string postgres, string ceilingPostgres, List<(string Name, int Concurrency, LoadResult Result, string Source)> results, HttpClient client, string? baselinePostgres)
    {
        foreach (var source in results.Select(r => r.Source).Distinct())
        {
            var sent = results.Where(r => r.Source == source).Sum(r => r.Result.AllEvents);
            var stored = source switch
            {
                "ceiling" => await Db.ScalarAsync(ceilingPostgres, "select count(*) from ceiling_events"),
                _ when source.EndsWith("-base", StringComparison.Ordinal) && baselinePostgres is not null =>
                    await Db.ScalarAsync(baselinePostgres, $"select count(*) from campaign_events where source = '{source[..^5]}'"),
                _ => await Db.ScalarAsync(postgres, $"select count(*) from campaign_events where source = '{source}'"),
            };
            report.Note(Fmt.Inv($"Check, {source}: {sent:N0} events answered 2xx (warm-up included), {stored:N0} rows stored: {(sent == stored ? "equal" : "**different**")}."));
        }

        if (results.Any(r => r.Name.Contains("hot", StringComparison.Ordinal)))
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/campaigns/cam_hot/stats");
            request.Headers.Add("x-functions-key", Webhooks.AdminKey);
            using var response = await client.SendAsync(request);
            var stats = await response.Content.ReadFromJsonAsync<JsonElement>();
            var counted = stats.GetProperty("events").EnumerateObject().Sum(p => p.Value.GetInt64());
            var rows = await Db.ScalarAsync(postgres, "select count(*) from campaign_events where campaign_id = 'cam_hot'");
            report.Note(Fmt.Inv($"Check, hot campaign: GET /api/campaigns/cam_hot/stats counts {counted:N0} events, {rows:N0} rows: {(counted == rows ? "exact" : "**different**")} (stats are counted from the rows; there is no counter row to contend on)."));
        }
    }
}
