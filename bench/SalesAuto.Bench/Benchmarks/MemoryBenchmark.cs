using System.Diagnostics;
using Npgsql;
using SalesAuto.Bench.Infrastructure;

namespace SalesAuto.Bench.Benchmarks;

/// <summary>
/// Benchmark 5, memory (bench/memory.sh): SalesAuto.Server as a child process under a steady,
/// paced load for a fixed duration, its RSS (VmRSS from /proc/&lt;pid&gt;/status) sampled on a
/// fixed interval. The load: Lemlist single events, one in five for a lead not enrolled yet (an
/// orphan, parked in Redis); that lead's enrollment is created two seconds later through
/// POST /api/enrollments, which promotes the orphan, and the server's own retry cycle (on its
/// shipped schedule) drains it into Postgres; plus a HubSpot batch of 100 every two seconds.
/// </summary>
internal static class MemoryBenchmark
{
    private const string Schema = "bench_memory";

    public static async Task<Report> RunAsync(Cli cli, Machine machine, string command)
    {
        var duration = cli.Duration("duration", "10m");
        var warmup = cli.Duration("warmup", duration >= TimeSpan.FromMinutes(5) ? "2m" : "30s");
        var interval = cli.Duration("sample", "5s");
        var rate = cli.Int("rate", 200);
        var concurrency = cli.Int("concurrency", 16);
        var enrollments = cli.Int("enrollments", 10_000);
        var serverEnvironment = cli.OptionalString("server-env");
        cli.RejectUnknown();

        var report = new Report("Memory", command);
        report.Size(Fmt.Inv($"Sizes: {duration.TotalMinutes:0.#} min of load, RSS sampled every {interval.TotalSeconds:0}s, the first {warmup.TotalMinutes:0.#} min counted as warm-up; {rate} Lemlist events/s (one in five an orphan whose enrollment is created 2 s later) at up to {concurrency} concurrent requests, and a HubSpot batch of 100 every 2 s; {enrollments:N0} enrollments seeded; the retry cycle on its shipped schedule (every 10 s)."));

        await using var redis = await PrivateRedis.StartAsync();
        report.Size($"Redis: {PrivateRedis.Describe(redis.Port)}.");
        await machine.AddPostgresVersionAsync(BenchEnvironment.Postgres);
        var postgres = await BenchEnvironment.RecreateMigratedSchemaAsync(Schema);
        var settings = ServerSettings.For(postgres, redis.ConnectionString, "bench:memory:");
        foreach (var pair in (serverEnvironment ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var (name, value) = (pair[..pair.IndexOf('=', StringComparison.Ordinal)], pair[(pair.IndexOf('=', StringComparison.Ordinal) + 1)..]);
            settings[name] = value;
            report.Size($"Experiment: the server runs with the environment variable {name}={value} (not the shipped configuration).");
        }

        await using var server = await ServerSettings.StartAsync(settings);
        await SeedAsync(postgres, enrollments);
        using var client = LoadGenerator.CreateClient(server.BaseAddress, concurrency + 8);

        using var stop = new CancellationTokenSource();
        var started = Stopwatch.GetTimestamp();
        var samples = new List<(TimeSpan At, long Rss)> { (TimeSpan.Zero, server.ReadRss()) };
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(interval, stop.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                samples.Add((Stopwatch.GetElapsedTime(started), server.ReadRss()));
                var last = samples[^1];
                Console.WriteLine(Fmt.Inv($"{last.At.TotalSeconds,6:0}s  RSS {Fmt.Mib(last.Rss)} MiB"));
            }
        });

        // One in five events is for lead "new{k}" (k = n / 5), not enrolled yet.
        var load = new LoadGenerator(client).RunAsync(n =>
        {
            if (n % 5 == 0)
            {
                var k = n / 5;
                return Webhooks.Lemlist(Webhooks.LemlistActivity($"act_o_{n}", $"cam_{k % 100}", $"new{k}@bench.example", n));
            }

            var lead = (int)((n * 7919L) % enrollments);
            return Webhooks.Lemlist(Webhooks.LemlistActivity($"act_s_{n}", $"cam_{lead % 100}", $"lead{lead}@bench.example", n));
        }, 1, concurrency, TimeSpan.Zero, duration, rate);

        var enrolled = 0L;
        var enrollErrors = 0L;
        var enroller = Task.Run(async () =>
        {
            var next = 0L;
            while (Stopwatch.GetElapsedTime(started) < duration)
            {
                var target = (long)((Stopwatch.GetElapsedTime(started).TotalSeconds - 2) * rate / 5);
                var due = new List<long>();
                for (; next <= target; next++)
                {
                    due.Add(next);
                }

                await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (k, token) =>
                {
                    using var response = await client.SendAsync(Webhooks.Enrollment($"cam_{k % 100}", $"new{k}@bench.example", null), token);
                    Interlocked.Increment(ref response.IsSuccessStatusCode ? ref enrolled : ref enrollErrors);
                });
                await Task.Delay(200);
            }
        });

        var batches = 0L;
        var batchErrors = 0L;
        var hubspot = Task.Run(async () =>
        {
            for (var b = 0L; Stopwatch.GetElapsedTime(started) < duration; b++)
            {
                var first = 5_000_000_000L + (b * 100);
                using var response = await client.SendAsync(Webhooks.HubSpot(Webhooks.HubSpotBatch(first, i => 100_000 + (int)((first + i) % enrollments), 100)));
                Interlocked.Increment(ref response.IsSuccessStatusCode ? ref batches : ref batchErrors);
                await Task.Delay(2000);
            }
        });

        var result = await load;
        await Task.WhenAll(enroller, hubspot);
        var loadEnded = Stopwatch.GetElapsedTime(started);
        // Let the last promoted orphans drain (two cycles), then the last sample.
        await Task.Delay(TimeSpan.FromSeconds(21));
        await stop.CancelAsync();
        await sampler;
        samples.Add((Stopwatch.GetElapsedTime(started), server.ReadRss()));

        var orphansSent = result.AllEvents / 5;
        var orphanRows = await Db.ScalarAsync(postgres, "select count(*) from campaign_events where payload->>'leadEmail' like 'new%'");
        var totalRows = await Db.ScalarAsync(postgres, "select count(*) from campaign_events");

        // Steady state: after the warm-up and while the load ran.
        var steady = samples.Where(s => s.At >= warmup && s.At <= loadEnded).ToList();
        var min = steady.Min(s => s.Rss);
        var max = steady.Max(s => s.Rss);
        var spread = (max - min) / (double)min;
        var slope = SlopePerMinute(steady);
        var table = report.Table("RSS of SalesAuto.Server, one row a minute (and the last sample, taken after the load stopped and the last orphans drained)", "time", "RSS MiB");
        foreach (var sample in samples.Where((s, i) => i == 0 || i == samples.Count - 1 || (int)s.At.TotalMinutes != (int)samples[i - 1].At.TotalMinutes))
        {
            table.Add([Fmt.Inv($"{sample.At.TotalMinutes:0.0} min"), Fmt.Mib(sample.Rss)]);
        }

        var summary = report.Table(string.Empty, "after warm-up", "value", "goal", "met");
        summary.Add(["min / max RSS", $"{Fmt.Mib(min)} / {Fmt.Mib(max)} MiB", "-", "-"]);
        summary.Add(["spread (max - min) / min", Fmt.Percent(spread * 100), "<= 10%", Fmt.Met(spread <= 0.10)]);
        summary.Add(["trend (least squares)", Fmt.Inv($"{slope / 1024 / 1024:+0.00;-0.00} MiB/min, {slope * (steady[^1].At - steady[0].At).TotalMinutes / steady.Average(x => (double)x.Rss):+0.0%;-0.0%} over the window"), "-", "-"]);
        var median = steady.Select(x => x.Rss).Order().ElementAt(steady.Count / 2);
        summary.Add(["band around the median", Fmt.Inv($"median {Fmt.Mib(median)} MiB; samples from {(double)min / median - 1:+0.0%;-0.0%} to {(double)max / median - 1:+0.0%;-0.0%}"), "-", "-"]);
        var quarter = Math.Max(1, steady.Count / 4);
        var firstQuarter = steady.Take(quarter).Average(x => (double)x.Rss);
        var lastQuarter = steady.TakeLast(quarter).Average(x => (double)x.Rss);
        summary.Add(["drift: mean of the last quarter vs the first", Fmt.Inv($"{lastQuarter / firstQuarter - 1:+0.0%;-0.0%}"), "-", "-"]);
        summary.Add(["load served", Fmt.Inv($"{result.RequestsPerSecond:N0} events/s, p50 {Fmt.Ms(result.Latencies.P50)} ms, p99 {Fmt.Ms(result.Latencies.P99)} ms, errors {result.DescribeErrors()}"), "-", "-"]);
        summary.Add(["orphans", Fmt.Inv($"{orphansSent:N0} sent as orphans, {enrolled:N0} enrollments created ({enrollErrors} errors), {orphanRows:N0} drained into Postgres"), "-", "-"]);
        summary.Add(["HubSpot batches", Fmt.Inv($"{batches:N0} ({batchErrors} errors); {totalRows:N0} event rows in all"), "-", "-"]);
        if (duration < TimeSpan.FromMinutes(10))
        {
            report.Note("A shortened run: the documented figure comes from a full 10-minute run.");
        }

        await server.DisposeAsync();
        await BenchEnvironment.DropSchemaAsync(Schema);
        return report;
    }

    private static double SlopePerMinute(List<(TimeSpan At, long Rss)> samples)
    {
        if (samples.Count < 2)
        {
            return double.NaN;
        }

        var xs = samples.Select(s => s.At.TotalMinutes).ToArray();
        var ys = samples.Select(s => (double)s.Rss).ToArray();
        var mx = xs.Average();
        var my = ys.Average();
        var num = xs.Zip(ys, (x, y) => (x - mx) * (y - my)).Sum();
        var den = xs.Sum(x => (x - mx) * (x - mx));
        return num / den;
    }

    private static async Task SeedAsync(string postgres, int enrollments)
    {
        const string Sql = """
            insert into campaigns (id, name) select 'cam_' || c, 'Bench ' || c from generate_series(0, 99) c;
            insert into enrollments (campaign_id, email, crm_contact_id)
                select 'cam_' || (i % 100), 'lead' || i || '@bench.example', (100000 + i)::text from generate_series(0, @enrollments - 1) i;
            analyze campaigns; analyze enrollments;
            """;
        await using var connection = new NpgsqlConnection(postgres);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(Sql, connection);
        command.Parameters.AddWithValue("enrollments", enrollments);
        await command.ExecuteNonQueryAsync();
    }
}
