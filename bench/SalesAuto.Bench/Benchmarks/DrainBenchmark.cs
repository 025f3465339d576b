using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Npgsql;
using SalesAuto.Bench.Infrastructure;
using SalesAuto.Core.Enrollments;
using SalesAuto.Core.Events;
using SalesAuto.Core.Postgres;
using SalesAuto.Core.RetryQueue;
using StackExchange.Redis;

namespace SalesAuto.Bench.Benchmarks;

/// <summary>
/// Benchmark 2, orphan drain (bench/drain.sh).
/// (a) Queue mechanics: N due items drained by the shipped RetryCycle (claim a batch, hand it to the
/// processor, ack each item: the cycle's own code path) with a processor that applies everything
/// and touches nothing; then, on the same private Redis, BullMQ draining N delayed jobs (delay
/// elapsed) with a no-op processor at several concurrencies, and redis-benchmark's ZADD and ZPOPMIN
/// rates as the raw ceiling.
/// (b) End to end: N orphans parked as the webhook endpoint parks them, their enrollments created
/// (store + promote, as POST /api/enrollments does), drained by the real cycle into Postgres; then
/// the same events ingested directly through the processor for comparison.
/// </summary>
internal static class DrainBenchmark
{
    private const string Schema = "bench_drain";

    public static async Task<Report> RunAsync(Cli cli, Machine machine, string command)
    {
        var items = cli.Int("items", 50_000);
        var batchSizes = cli.Ints("batch-sizes", "50,500");
        var bullConcurrency = cli.String("bullmq-concurrency", "10,50,100");
        var rounds = cli.Int("rounds", 3);
        var e2eItems = cli.Int("e2e-items", 50_000);
        var eventsPerEnrollment = cli.Int("events-per-enrollment", 5);
        var e2eBatchSize = cli.Int("e2e-batch-size", 50);
        var skipBullMq = cli.String("bullmq", "on") == "off";
        var parts = cli.String("parts", "a,b");
        var experiments = cli.String("experiments", "on") == "on";
        cli.RejectUnknown();

        var report = new Report("Orphan drain", command);
        await using var redis = await PrivateRedis.StartAsync();
        report.Size($"Redis: {PrivateRedis.Describe(redis.Port)}; SalesAuto, BullMQ and redis-benchmark all run against it, one after the other, with FLUSHALL between.");
        await using (var probe = await ConnectionMultiplexer.ConnectAsync(redis.AdminConnectionString))
        {
            await machine.AddRedisVersionAsync(probe, "private");
        }

        if (parts.Contains('a', StringComparison.Ordinal))
        {
            await RunMechanicsAsync(report, redis, items, batchSizes, bullConcurrency, skipBullMq, experiments, rounds);
        }

        if (parts.Contains('b', StringComparison.Ordinal))
        {
            await machine.AddPostgresVersionAsync(BenchEnvironment.Postgres);
            await RunEndToEndAsync(report, redis, e2eItems, eventsPerEnrollment, e2eBatchSize);
        }

        return report;
    }

    private static async Task RunMechanicsAsync(Report report, PrivateRedis redis, int items, int[] batchSizes, string bullConcurrency, bool skipBullMq, bool experiments, int rounds)
    {
        report.Size(Fmt.Inv($"(a) Sizes: {items:N0} due items per drain; RetryQueue:BatchSize {string.Join(", ", batchSizes)} (50 is the shipped default); BullMQ concurrency {bullConcurrency}; redis-benchmark -c 50 -n {items * 4:N0} -P 1 (its defaults but -n), on one sorted set key. {rounds} rounds, each running every variant once in turn, after an untimed warm-up drain; the table gives each variant's median round (and the range)."));
        // The cycle also recovers expired dead-letter replay claims (one query per run), so it needs
        // the tables, though the processor here touches none.
        var postgres = await BenchEnvironment.RecreateMigratedSchemaAsync(Schema + "_a");
        var rates = new Dictionary<string, List<double>>();
        var details = new Dictionary<string, string>();
        void Record(string name, double rate, string detail)
        {
            if (!rates.TryGetValue(name, out var list))
            {
                rates[name] = list = [];
            }

            list.Add(rate);
            details[name] = detail;
        }

        for (var round = 0; round <= rounds; round++)
        {
            // Round 0 warms up (JIT, connections, Lua script cache) and is not recorded.
            var warmup = round == 0;
            foreach (var batchSize in batchSizes)
            {
                await FlushAsync(redis);
                var count = warmup ? Math.Min(items, 5000) : items;
                var settings = Settings(redis, "bench:drain:", batchSize, items);
                settings["ConnectionStrings:Postgres"] = postgres;
                await using var services = CoreHost.Build(settings, s => s.AddSingleton<IEventProcessor, AppliesEverything>());
                var queue = services.GetRequiredService<IRetryQueue>();
                var cycle = services.GetRequiredService<RetryCycle>();

                var orphans = MakeEvents("m", count, 1000).Select(e => (new OrphanItem(e, 0, DateTimeOffset.UtcNow), TimeSpan.Zero)).ToList();
                Console.WriteLine($"(a) round {round}: SalesAuto, batch size {batchSize} ...");
                var enqueueTime = await EnqueueAllAsync(queue, orphans);
                await ResetCommandStatsAsync(redis);
                var redisCpu = await RedisCpuSecondsAsync(redis);
                var ownCpu = Process.GetCurrentProcess().TotalProcessorTime;
                var (drainTime, claimed, cycles) = await DrainAsync(cycle);
                redisCpu = await RedisCpuSecondsAsync(redis) - redisCpu;
                var commands = await CommandStatsAsync(redis);
                var clientCpu = (Process.GetCurrentProcess().TotalProcessorTime - ownCpu).TotalSeconds;
                var depth = await queue.GetDepthAsync(CancellationToken.None);
                if (claimed != count || depth.Due + depth.Leased != 0)
                {
                    throw new InvalidOperationException($"drained {claimed} of {count}; {depth.Due} due and {depth.Leased} leased remain");
                }

                if (!warmup)
                {
                    Record($"SalesAuto RetryCycle, BatchSize {batchSize}", count / drainTime.TotalSeconds,
                        Fmt.Inv($"last round: {drainTime.TotalSeconds:0.00}s in {cycles} cycle run(s); CPU: Redis {redisCpu:0.00}s, the cycle's process {clientCpu:0.00}s; enqueue of the same items: {count / enqueueTime.TotalSeconds:N0} items/s; Redis commands per item (INFO commandstats, scripts' inner commands included): {DescribePerItem(commands, count)}"));
                }

                if (experiments)
                {
                    // The same items again, drained by the bare claim-and-ack loop (the cycle minus its
                    // lock, processor call and claim-ahead), once with the scripts before issue 15
                    // (bench/drain-legacy: a token and five commands per item in claim, seven in ack)
                    // and once with the shipped ones: an A/B of the scripts alone in the same round.
                    foreach (var loop in new[] { "scripts before issue 15", "shipped scripts", "claim_delete" })
                    {
                        await EnqueueAllAsync(queue, orphans);
                        await ResetCommandStatsAsync(redis);
                        var loopCpu = await RedisCpuSecondsAsync(redis);
                        var time = await Timing.TimeAsync(() => loop switch
                        {
                            "scripts before issue 15" => LegacyClaimAckLoopAsync(services.GetRequiredService<IConnectionMultiplexer>(), "bench:drain:", batchSize),
                            "shipped scripts" => ClaimAckLoopAsync(queue, batchSize),
                            _ => ClaimDeleteLoopAsync(services.GetRequiredService<IConnectionMultiplexer>(), "bench:drain:", batchSize),
                        });
                        loopCpu = await RedisCpuSecondsAsync(redis) - loopCpu;
                        var loopCommands = await CommandStatsAsync(redis);
                        if (!warmup)
                        {
                            var name = loop switch
                            {
                                "claim_delete" => $"experiment: claim that deletes (no lease, no token, no ack: at most once; bench/drain-experiments), batch {batchSize}",
                                _ => $"experiment: claim + batched ack loop, {loop}, batch {batchSize}",
                            };
                            Record(name, count / time.TotalSeconds,
                                Fmt.Inv($"no processor call, one call at a time; Redis CPU {loopCpu:0.00}s; Redis commands per item: {DescribePerItem(loopCommands, count)}"));
                        }
                    }
                }
            }

            if (!skipBullMq)
            {
                await FlushAsync(redis);
                Console.WriteLine($"(a) round {round}: BullMQ ...");
                var output = await ExternalTool.RunAsync("node",
                    [Path.Combine(BenchEnvironment.RepoRoot, "bench", "bullmq", "drain.mjs"), "--host", "127.0.0.1", "--port", redis.Port.ToString(CultureInfo.InvariantCulture),
                        "--password", PrivateRedis.Password, "--jobs", (warmup ? Math.Min(items, 5000) : items).ToString(CultureInfo.InvariantCulture), "--concurrency", bullConcurrency]);
                foreach (var trial in output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement).Where(_ => !warmup))
                {
                    Record($"BullMQ, Worker concurrency {trial.GetProperty("concurrency").GetInt32()}", trial.GetProperty("jobsPerSecond").GetDouble(), "no-op processor, removeOnComplete");
                }
            }

            if (!warmup)
            {
                await FlushAsync(redis);
                Console.WriteLine($"(a) round {round}: redis-benchmark ...");
                Record("redis-benchmark ZADD (raw)", await RedisBenchmarkAsync(redis, items * 4, "ZADD", "bench:rb:{rb}:due", "__rand_int__", "m:__rand_int__"), "ops/s, 50 clients, no pipelining");
                Record("redis-benchmark ZPOPMIN (raw ceiling)", await RedisBenchmarkAsync(redis, items * 4, "ZPOPMIN", "bench:rb:{rb}:due"), "ops/s, 50 clients, no pipelining");
            }
        }

        await FlushAsync(redis);
        var medians = rates.ToDictionary(r => r.Key, r => Median(r.Value));
        var bullBest = medians.Where(m => m.Key.StartsWith("BullMQ", StringComparison.Ordinal)).Select(m => m.Value).DefaultIfEmpty(double.NaN).Max();
        var zpopmin = medians.GetValueOrDefault("redis-benchmark ZPOPMIN (raw ceiling)", double.NaN);
        var table = report.Table("(a) Queue mechanics: items drained per second (median of the rounds)", "drain", "items/s", "range over rounds", "detail", "goal", "met");
        foreach (var (name, list) in rates)
        {
            var rate = medians[name];
            var (goal, met) = name.StartsWith("SalesAuto", StringComparison.Ordinal) || name.StartsWith("experiment", StringComparison.Ordinal)
                ? (Fmt.Inv($">= 3x BullMQ best: {rate / bullBest:0.00}x; >= 40% of ZPOPMIN: {rate / zpopmin:P0}"), Fmt.Met(rate >= 3 * bullBest && rate >= 0.4 * zpopmin))
                : name.StartsWith("BullMQ", StringComparison.Ordinal) && rate == bullBest ? ("reference (best)", "-") : ("reference", "-");
            table.Add([name, Fmt.N0(rate), $"{Fmt.N0(list.Min())} - {Fmt.N0(list.Max())}", details[name], goal, met]);
        }

        await BenchEnvironment.DropSchemaAsync(Schema + "_a");
        report.Note("(a) SalesAuto: `RetryCycle.RunAsync` from Core's own registration, called again until a run claims nothing; each run takes the cycle lock, claims `BatchSize` items per `claim` script, claims the next batch and extends the lock while it hands the batch to the processor (here one that answers Applied and does no I/O) and acks the batch in one `ack` script call, and refreshes the depth gauges at its end. BullMQ: `removeOnComplete`, so a completed job leaves Redis as an acked item does; timed from the Worker's start to the N-th `completed` event.");
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static async Task RunEndToEndAsync(Report report, PrivateRedis redis, int items, int eventsPerEnrollment, int batchSize)
    {
        var enrollments = items / eventsPerEnrollment;
        report.Size(Fmt.Inv($"(b) Sizes: {items:N0} orphans for {enrollments:N0} enrollments ({eventsPerEnrollment} events each) over 100 campaigns; RetryQueue:BatchSize {batchSize}; Postgres schema {Schema} on the cluster of ConnectionStrings__Postgres (scripts/deps.sh's unless set), port {new NpgsqlConnectionStringBuilder(BenchEnvironment.Postgres).Port}."));
        await FlushAsync(redis);
        var postgres = await BenchEnvironment.RecreateSchemaAsync(Schema);
        var settings = Settings(redis, "bench:e2e:", batchSize, items);
        settings["ConnectionStrings:Postgres"] = postgres;
        settings["RetryQueue:Delays"] = "01:00:00";
        await using var services = CoreHost.Build(settings);
        await services.GetRequiredService<PostgresMigrator>().MigrateAsync(CancellationToken.None);
        var processor = services.GetRequiredService<IEventProcessor>();
        var queue = services.GetRequiredService<IRetryQueue>();
        var store = services.GetRequiredService<EnrollmentStore>();
        var cycle = services.GetRequiredService<RetryCycle>();
        var events = MakeEvents("e", items, enrollments, campaigns: 100);

        // Parked as the webhook endpoint parks them: the processor finds no enrollment, the queue
        // takes them with the first delay (an hour here, so only a promote makes them due).
        Console.WriteLine("(b) park orphans ...");
        var parkTime = await Timing.TimeAsync(async () =>
        {
            foreach (var chunk in events.Chunk(100))
            {
                var outcomes = await processor.ApplyAsync(chunk, CancellationToken.None);
                if (outcomes.Any(o => o != EventOutcome.Orphan))
                {
                    throw new InvalidOperationException("an event found an enrollment before any existed");
                }

                await queue.EnqueueAsync([.. chunk.Select(e => (new OrphanItem(e, 0, DateTimeOffset.UtcNow), TimeSpan.FromHours(1)))], CancellationToken.None);
            }
        });

        // The enrollments appear, as POST /api/enrollments makes them: store, then promote.
        Console.WriteLine("(b) create enrollments ...");
        var promoted = 0;
        var enrollTime = await Timing.TimeAsync(() => Parallel.ForEachAsync(Enumerable.Range(0, enrollments), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, token) =>
        {
            var enrollment = await store.UpsertAsync($"cam_{i % 100}", $"lead{i}@bench.example", null, null, token);
            var released = await queue.PromoteAsync([EnrollmentKeys.ByEmail(enrollment.CampaignId, enrollment.Email)], token);
            Interlocked.Add(ref promoted, released);
        }));

        Console.WriteLine("(b) drain by the cycle ...");
        var (drainTime, claimed, cycles) = await DrainAsync(cycle);
        var stored = await Db.ScalarAsync(postgres, "select count(*) from campaign_events");
        var depth = await queue.GetDepthAsync(CancellationToken.None);

        // The same events again, straight into the processor in batches of the same size, one after the other, as the cycle sends them.
        await Db.ScalarAsync(postgres, "truncate campaign_events; select 0");
        Console.WriteLine("(b) direct ingestion ...");
        var directTime = await Timing.TimeAsync(async () =>
        {
            foreach (var chunk in events.Chunk(batchSize))
            {
                await processor.ApplyAsync(chunk, CancellationToken.None);
            }
        });
        var directStored = await Db.ScalarAsync(postgres, "select count(*) from campaign_events");

        var table = report.Table("(b) End to end: parked orphans drained into Postgres", "step", "per second", "time", "check");
        table.Add(["park orphans (processor finds no enrollment, then enqueue; 100 per call)", Fmt.N0(items / parkTime.TotalSeconds) + " events/s", Fmt.Inv($"{parkTime.TotalSeconds:0.00}s"), $"{items:N0} parked"]);
        table.Add(["enrollments appear (EnrollmentStore.UpsertAsync + PromoteAsync, 16 at a time)", Fmt.N0(enrollments / enrollTime.TotalSeconds) + " enrollments/s", Fmt.Inv($"{enrollTime.TotalSeconds:0.00}s"), Fmt.Inv($"{promoted:N0} promoted")]);
        table.Add([Fmt.Inv($"**drain by the RetryCycle** (BatchSize {batchSize})"), "**" + Fmt.N0(items / drainTime.TotalSeconds) + " events/s**", Fmt.Inv($"{drainTime.TotalSeconds:0.00}s, {cycles} run(s)"),
            Fmt.Inv($"{claimed:N0} claimed, {stored:N0} rows, {depth.Due + depth.Leased} left: {(stored == items && depth.Due + depth.Leased == 0 ? "ok" : "**wrong**")}")]);
        table.Add([Fmt.Inv($"direct ingestion of the same events (processor, batches of {batchSize}, sequential)"), Fmt.N0(items / directTime.TotalSeconds) + " events/s", Fmt.Inv($"{directTime.TotalSeconds:0.00}s"), Fmt.Inv($"{directStored:N0} rows")]);
        report.Note(Fmt.Inv($"(b) The drain runs at {drainTime.TotalSeconds / directTime.TotalSeconds:0.00}x the time of direct ingestion in the same batches: the difference is the queue's claim, ack and lock work per batch."));
        await BenchEnvironment.DropSchemaAsync(Schema);
    }

    private static Dictionary<string, string?> Settings(PrivateRedis redis, string prefix, int batchSize, int items) => new()
    {
        ["ConnectionStrings:Redis"] = redis.ConnectionString,
        ["ConnectionStrings:Postgres"] = BenchEnvironment.Postgres,
        ["RetryQueue:KeyPrefix"] = prefix,
        ["RetryQueue:BatchSize"] = batchSize.ToString(CultureInfo.InvariantCulture),
        ["RetryQueue:MaxLength"] = Math.Max(100_000, items * 2).ToString(CultureInfo.InvariantCulture),
    };

    // Lemlist events for `enrollments` distinct leads; campaign = lead % campaigns.
    internal static List<CanonicalEvent> MakeEvents(string tag, int count, int enrollments, int campaigns = 1000)
    {
        var now = DateTimeOffset.UtcNow;
        return [.. Enumerable.Range(0, count).Select(i =>
        {
            var lead = i % enrollments;
            var campaign = $"cam_{lead % campaigns}";
            var email = $"lead{lead}@bench.example";
            var id = $"act_{tag}_{i}";
            return new CanonicalEvent("lemlist", id, "email.opened", now, campaign, email, null, Webhooks.LemlistActivity(id, campaign, email, i));
        })];
    }

    private static async Task ClaimAckLoopAsync(IRetryQueue queue, int batchSize)
    {
        while (true)
        {
            var claim = await queue.ClaimAsync(batchSize, CancellationToken.None);
            if (claim.Items.Count == 0)
            {
                return;
            }

            if ((await queue.AckAsync(claim.Items, CancellationToken.None)).Any(a => !a))
            {
                throw new InvalidOperationException("batched ack refused an item");
            }
        }
    }

    // The same loop on the scripts as they were before issue 15 (bench/drain-legacy, copied from
    // main at b1cb516), called directly with the keys and arguments RedisRetryQueue passed them,
    // and the item JSON deserialized as the queue does.
    private static async Task LegacyClaimAckLoopAsync(IConnectionMultiplexer redis, string prefix, int batchSize)
    {
        string Script(string name) => File.ReadAllText(Path.Combine(BenchEnvironment.RepoRoot, "bench", "drain-legacy", "common.lua")) + "\n"
            + File.ReadAllText(Path.Combine(BenchEnvironment.RepoRoot, "bench", "drain-legacy", name + ".lua"));
        var claimScript = Script("claim");
        var ackScript = Script("ack");
        var keys = new RetryQueueKeys(prefix);
        var db = redis.GetDatabase();
        var lease = (long)TimeSpan.FromSeconds(60).TotalMilliseconds;
        while (true)
        {
            var result = (RedisResult[])(await db.ScriptEvaluateAsync(claimScript, [keys.Due, keys.Leases, keys.Tokens, keys.Fence, keys.Items, keys.Promoted], [batchSize, lease, 1000]))!;
            if (result.Length <= 2)
            {
                return;
            }

            var ackKeys = new List<RedisKey> { keys.Leases, keys.Tokens, keys.Items, keys.Promoted };
            var ackValues = new List<RedisValue>();
            for (var i = 2; i + 2 < result.Length; i += 3)
            {
                var item = JsonSerializer.Deserialize<OrphanItem>((string)result[i + 2]!, SalesAuto.Core.Http.JsonDefaults.Options)!;
                ackKeys.Add(keys.Index(item.Event.LookupKey));
                ackValues.Add((string)result[i]!);
                ackValues.Add((long)result[i + 1]);
            }

            if (((int[])(await db.ScriptEvaluateAsync(ackScript, [.. ackKeys], [.. ackValues]))!).Any(a => a != 1))
            {
                throw new InvalidOperationException("legacy batched ack refused an item");
            }
        }
    }

    // What giving up the lease would buy: each batch leaves the queue in the call that reads it
    // (claim_delete.lua), and the index sets are cleaned by a call nobody waits for, as a
    // cycle built that way would do; the bodies are read as the cycle reads them.
    private static async Task ClaimDeleteLoopAsync(IConnectionMultiplexer redis, string prefix, int batchSize)
    {
        string Script(string name) => File.ReadAllText(Path.Combine(BenchEnvironment.RepoRoot, "bench", "drain-experiments", name + ".lua"));
        var claimScript = Script("claim_delete");
        var sremScript = Script("srem_many");
        var keys = new RetryQueueKeys(prefix);
        var db = redis.GetDatabase();
        var cleanups = new List<Task>();
        while (true)
        {
            var result = (RedisResult[])(await db.ScriptEvaluateAsync(claimScript, [keys.Due, keys.Items], [batchSize]))!;
            if (result.Length == 0)
            {
                break;
            }

            var indexKeys = new RedisKey[result.Length / 2];
            var ids = new RedisValue[result.Length / 2];
            for (var i = 0; i + 1 < result.Length; i += 2)
            {
                var item = JsonSerializer.Deserialize<OrphanItem>((string)result[i + 1]!, SalesAuto.Core.Http.JsonDefaults.Options)!;
                indexKeys[i / 2] = keys.Index(item.Event.LookupKey);
                ids[i / 2] = (string)result[i]!;
            }

            cleanups.Add(db.ScriptEvaluateAsync(sremScript, indexKeys, ids));
        }

        await Task.WhenAll(cleanups);
    }

    private static async Task<TimeSpan> EnqueueAllAsync(IRetryQueue queue, List<(OrphanItem, TimeSpan)> items)
    {
        var started = Stopwatch.GetTimestamp();
        foreach (var chunk in items.Chunk(1000))
        {
            var outcomes = await queue.EnqueueAsync(chunk, CancellationToken.None);
            if (outcomes.Any(o => o != EnqueueOutcome.Enqueued))
            {
                throw new InvalidOperationException("an item was not enqueued");
            }
        }

        return Stopwatch.GetElapsedTime(started);
    }

    // Runs the cycle until a run claims nothing; the time includes that last, empty claim.
    private static async Task<(TimeSpan Time, int Claimed, int Cycles)> DrainAsync(RetryCycle cycle)
    {
        var started = Stopwatch.GetTimestamp();
        var claimed = 0;
        var cycles = 0;
        while (true)
        {
            var result = await cycle.RunAsync(CancellationToken.None);
            cycles++;
            if (result.Outcome != CycleOutcome.Completed)
            {
                throw new InvalidOperationException($"cycle {result.Outcome}");
            }

            claimed += result.Claimed;
            if (result.Claimed == 0)
            {
                return (Stopwatch.GetElapsedTime(started), claimed, cycles);
            }
        }
    }

    private static async Task<double> RedisBenchmarkAsync(PrivateRedis redis, int requests, params string[] command)
    {
        var output = await ExternalTool.RunAsync("redis-benchmark",
            ["-h", "127.0.0.1", "-p", redis.Port.ToString(CultureInfo.InvariantCulture), "-a", PrivateRedis.Password, "-c", "50", "-n", requests.ToString(CultureInfo.InvariantCulture), "-r", "1000000", "--csv", .. command]);
        // --csv: a header line, then "command","rps",...
        var line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last(l => l.StartsWith('"') && !l.StartsWith("\"test\"", StringComparison.Ordinal));
        return double.Parse(line.Split(',')[1].Trim('"'), CultureInfo.InvariantCulture);
    }

    // The Redis server's own CPU time (INFO cpu: used_cpu_sys + used_cpu_user), in seconds.
    private static async Task<double> RedisCpuSecondsAsync(PrivateRedis redis)
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.AdminConnectionString);
        var info = (await connection.GetServers()[0].InfoAsync("cpu")).SelectMany(g => g).ToDictionary(kv => kv.Key, kv => kv.Value);
        return double.Parse(info["used_cpu_sys"], CultureInfo.InvariantCulture) + double.Parse(info["used_cpu_user"], CultureInfo.InvariantCulture);
    }

    private static async Task ResetCommandStatsAsync(PrivateRedis redis)
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.AdminConnectionString);
        await connection.GetServers()[0].ConfigResetStatisticsAsync();
    }

    // INFO commandstats: command -> (calls, usec), the commands a script runs counted under their own names.
    private static async Task<Dictionary<string, (long Calls, long Usec)>> CommandStatsAsync(PrivateRedis redis)
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.AdminConnectionString);
        var stats = new Dictionary<string, (long, long)>();
        foreach (var (key, value) in (await connection.GetServers()[0].InfoAsync("commandstats")).SelectMany(g => g))
        {
            // cmdstat_zrem: calls=100,usec=200,usec_per_call=2.00,...
            var fields = value.Split(',').Select(f => f.Split('=')).Where(f => f.Length == 2).ToDictionary(f => f[0], f => f[1]);
            stats[key.Replace("cmdstat_", "", StringComparison.Ordinal)] = (long.Parse(fields["calls"], CultureInfo.InvariantCulture), long.Parse(fields["usec"], CultureInfo.InvariantCulture));
        }

        return stats;
    }

    // "9.1 in total (evalsha 0.04, zrem 1.00, ...), 14.2 µs of command time": the busiest first.
    private static string DescribePerItem(Dictionary<string, (long Calls, long Usec)> stats, int items)
    {
        var inner = stats.Where(s => s.Key is not "evalsha" and not "eval" and not "info" and not "config|resetstat" and not "config");
        var total = inner.Sum(s => s.Value.Calls) / (double)items;
        var usec = stats.GetValueOrDefault("evalsha").Usec / (double)items;
        var list = string.Join(", ", stats.Where(s => s.Key is not "info" and not "config|resetstat" and not "config" && s.Value.Calls / (double)items >= 0.005)
            .OrderByDescending(s => s.Value.Calls).Select(s => Fmt.Inv($"{s.Key} {s.Value.Calls / (double)items:0.00}")));
        return Fmt.Inv($"{total:0.00} inside scripts ({list}); scripts' time {usec:0.0} µs per item");
    }

    private static async Task FlushAsync(PrivateRedis redis)
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.AdminConnectionString);
        await connection.GetServers()[0].FlushAllDatabasesAsync();
    }

    /// <summary>A processor that applies every event and does no I/O: the drain then measures the queue alone.</summary>
    private sealed class AppliesEverything : IEventProcessor
    {
        public Task<IReadOnlyList<EventOutcome>> ApplyAsync(IReadOnlyList<CanonicalEvent> events, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<EventOutcome>>(Enumerable.Repeat(EventOutcome.Applied, events.Count).ToArray());
    }
}
