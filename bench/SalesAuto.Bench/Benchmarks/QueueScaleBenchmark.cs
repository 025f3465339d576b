using System.Diagnostics;
using System.Globalization;
using SalesAuto.Bench.Infrastructure;
using SalesAuto.Core.Events;
using SalesAuto.Core.RetryQueue;
using StackExchange.Redis;

namespace SalesAuto.Bench.Benchmarks;

/// <summary>
/// Benchmark 3, queue cost at scale (bench/queue-scale.sh): the latency of the shipped queue's
/// enqueue, claim and ack with a small and with a large number of items queued (all due, so every
/// claim finds work). Each timed round trip enqueues one item, claims one and acks it, so the
/// depth stays put. The large queue is bulk-loaded by a benchmark-only Lua script that writes
/// exactly what the enqueue script writes (item hash, due set, index set), from a template made by
/// the real enqueue.
/// </summary>
internal static class QueueScaleBenchmark
{
    private const string Prefix = "bench:scale:";

    private static long _next;

    // Benchmark only: bulk-writes what enqueue.lua writes, due one second ago.
    // KEYS[1] items, KEYS[2] due, KEYS[3] index set; ARGV[1] item JSON template with __EID__,
    // ARGV[2] item id prefix (source + newline), ARGV[3] event id prefix, ARGV[4] first, ARGV[5] last.
    private const string BulkLoad = """
        local t = redis.call('TIME')
        local due = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) - 1000
        for i = tonumber(ARGV[4]), tonumber(ARGV[5]) do
          local eid = ARGV[3] .. i
          local id = ARGV[2] .. eid
          redis.call('HSET', KEYS[1], id, (string.gsub(ARGV[1], '__EID__', eid)))
          redis.call('ZADD', KEYS[2], due, id)
          redis.call('SADD', KEYS[3], id)
        end
        return 1
        """;

    public static async Task<Report> RunAsync(Cli cli, Machine machine, string command)
    {
        var sizes = cli.Ints("sizes", "1000,1000000");
        var samples = cli.Int("samples", 2000);
        var batchSamples = cli.Int("batch-samples", 200);
        cli.RejectUnknown();

        var report = new Report("Queue cost at scale", command);
        await using var redis = await PrivateRedis.StartAsync();
        await using var admin = await ConnectionMultiplexer.ConnectAsync(redis.AdminConnectionString);
        await machine.AddRedisVersionAsync(admin, "private");
        report.Size($"Redis: {PrivateRedis.Describe(redis.Port)}.");
        report.Size(Fmt.Inv($"Sizes: queues of {string.Join(" and ", sizes.Select(s => s.ToString("N0", CultureInfo.InvariantCulture)))} due items; per size {samples:N0} timed single-item rounds (enqueue 1, claim 1, ack 1) and {batchSamples:N0} batch rounds (enqueue 50 in one call, claim 50, ack the 50 in one call, as the cycle does), after 1,000 untimed single rounds and 100 untimed batch rounds per size (warm-up); latency is the client's, one call at a time, loopback included."));

        // Every queue is loaded first, each under a prefix of its own in the same Redis; then the
        // sizes take turns in blocks, so warm-up and any change in the machine's load fall on all of them.
        await admin.GetServers()[0].FlushAllDatabasesAsync();
        var queues = new List<(int Size, string Prefix, ServiceProvider Services, IRetryQueue Queue, Dictionary<string, List<long>> Ticks, double LoadRate)>();
        foreach (var size in sizes)
        {
            var prefix = Fmt.Inv($"{Prefix}{size}:");
            var settings = new Dictionary<string, string?>
            {
                ["ConnectionStrings:Redis"] = redis.ConnectionString,
                ["ConnectionStrings:Postgres"] = BenchEnvironment.Postgres,
                ["RetryQueue:KeyPrefix"] = prefix,
                ["RetryQueue:MaxLength"] = (size * 2 + 100_000).ToString(CultureInfo.InvariantCulture),
            };
            var services = CoreHost.Build(settings);
            var queue = services.GetRequiredService<IRetryQueue>();
            Console.WriteLine($"size {size:N0}: bulk load ...");
            var loadTime = await BulkLoadAsync(queue, admin.GetDatabase(), prefix, size);
            var depth = await queue.GetDepthAsync(CancellationToken.None);
            if (depth.Due != size)
            {
                throw new InvalidOperationException($"loaded {depth.Due}, expected {size}");
            }

            queues.Add((size, prefix, services, queue, [], size / loadTime.TotalSeconds));
        }

        var memory = (long)(await admin.GetDatabase().ExecuteAsync("MEMORY", "STATS")).ToDictionary()["dataset.bytes"];
        foreach (var q in queues)
        {
            await MeasureAsync(q.Queue, q.Prefix, null, 1000, 100);
        }

        const int Blocks = 4;
        for (var block = 0; block < Blocks; block++)
        {
            foreach (var q in queues)
            {
                Console.WriteLine($"block {block + 1}/{Blocks}: size {q.Size:N0} ...");
                await MeasureAsync(q.Queue, q.Prefix, q.Ticks, samples / Blocks, batchSamples / Blocks);
            }
        }

        var measured = new List<(int Size, Dictionary<string, Latencies> Ops, double LoadRate)>();
        foreach (var q in queues)
        {
            var depth = await q.Queue.GetDepthAsync(CancellationToken.None);
            if (depth.Due != q.Size || depth.Leased != 0)
            {
                throw new InvalidOperationException($"depth drifted: {depth.Due} due, {depth.Leased} leased");
            }

            measured.Add((q.Size, q.Ticks.ToDictionary(t => t.Key, t => new Latencies(t.Value)), q.LoadRate));
            await q.Services.DisposeAsync();
        }

        await admin.GetServers()[0].FlushAllDatabasesAsync();
        var small = measured[0];
        var large = measured[^1];
        var table = report.Table(string.Empty, "operation",
            $"p50 ms @ {small.Size:N0}", $"p99 ms @ {small.Size:N0}", $"p50 ms @ {large.Size:N0}", $"p99 ms @ {large.Size:N0}", "p50 ratio", "p99 ratio", "goal", "met");
        foreach (var op in small.Ops.Keys)
        {
            var a = small.Ops[op];
            var b = large.Ops[op];
            var ratio = b.P50 / a.P50;
            var isGoal = op.StartsWith("enqueue", StringComparison.Ordinal) || op.StartsWith("claim", StringComparison.Ordinal);
            table.Add([op, Fmt.Ms(a.P50), Fmt.Ms(a.P99), Fmt.Ms(b.P50), Fmt.Ms(b.P99), Fmt.Ratio(ratio), Fmt.Ratio(b.P99 / a.P99),
                isGoal ? "p50 at the large size <= 1.5x the small" : "(not a goal)", isGoal ? Fmt.Met(ratio <= 1.5) : "-"]);
        }

        foreach (var (size, _, rate) in measured)
        {
            report.Note(Fmt.Inv($"{size:N0} items: bulk-loaded at {rate:N0} items/s."));
        }

        report.Note(Fmt.Inv($"All queues sit in the same Redis, each under its own key prefix (Redis dataset with all loaded: {memory / 1024.0 / 1024.0:N0} MiB); the sizes are measured in {Blocks} alternating blocks."));

        report.Note("Every bulk-loaded item shares one index set (one enrollment); an ack's SREM is O(1) whatever the set's size, so this does not flatter the figures.");
        return report;
    }

    private static async Task<TimeSpan> BulkLoadAsync(IRetryQueue queue, IDatabase database, string prefix, int size)
    {
        var keys = new RetryQueueKeys(prefix);
        var template = Event("__EID__");
        await queue.EnqueueAsync([(new OrphanItem(template, 0, DateTimeOffset.UtcNow), TimeSpan.Zero)], CancellationToken.None);
        var templateItem = new OrphanItem(template, 0, DateTimeOffset.UtcNow);
        string json = (await database.HashGetAsync(keys.Items, templateItem.Id))!;
        await database.KeyDeleteAsync([keys.Items, keys.Due, keys.Index(template.LookupKey)]);

        var started = Stopwatch.GetTimestamp();
        const int Chunk = 10_000;
        var pending = new List<Task>();
        for (var first = 0; first < size; first += Chunk)
        {
            var last = Math.Min(size, first + Chunk) - 1;
            pending.Add(database.ScriptEvaluateAsync(BulkLoad, [keys.Items, keys.Due, keys.Index(template.LookupKey)], [json, "lemlist\n", "bulk_", first, last]));
            if (pending.Count == 4)
            {
                await Task.WhenAll(pending);
                pending.Clear();
            }
        }

        await Task.WhenAll(pending);
        return Stopwatch.GetElapsedTime(started);
    }

    // Single rounds (enqueue 1, claim 1, ack 1), then batch rounds (enqueue 50, claim 50, ack 50
    // together); the queue's depth is the same after as before. Null ticks: warm-up, not kept.
    private static async Task MeasureAsync(IRetryQueue queue, string prefix, Dictionary<string, List<long>>? ticks, int rounds, int batchRounds)
    {
        void Keep(string op, long value)
        {
            if (ticks is null)
            {
                return;
            }

            if (!ticks.TryGetValue(op, out var list))
            {
                ticks[op] = list = [];
            }

            list.Add(value);
        }

        for (var i = 0; i < rounds; i++)
        {
            var item = new OrphanItem(Event($"new_{prefix}_{Interlocked.Increment(ref _next)}"), 0, DateTimeOffset.UtcNow);
            var t0 = Stopwatch.GetTimestamp();
            await queue.EnqueueAsync([(item, TimeSpan.Zero)], CancellationToken.None);
            var t1 = Stopwatch.GetTimestamp();
            var claim = await queue.ClaimAsync(1, CancellationToken.None);
            var t2 = Stopwatch.GetTimestamp();
            if (!await queue.AckAsync(claim.Items.Single(), CancellationToken.None))
            {
                throw new InvalidOperationException("ack refused");
            }

            var t3 = Stopwatch.GetTimestamp();
            Keep("enqueue 1 item", t1 - t0);
            Keep("claim 1 item", t2 - t1);
            Keep("ack 1 item", t3 - t2);
        }

        for (var i = 0; i < batchRounds; i++)
        {
            var batch = Enumerable.Range(0, 50).Select(_ => (new OrphanItem(Event($"new_{prefix}_{Interlocked.Increment(ref _next)}"), 0, DateTimeOffset.UtcNow), TimeSpan.Zero)).ToList();
            var t0 = Stopwatch.GetTimestamp();
            await queue.EnqueueAsync(batch, CancellationToken.None);
            var t1 = Stopwatch.GetTimestamp();
            var claim = await queue.ClaimAsync(50, CancellationToken.None);
            var t2 = Stopwatch.GetTimestamp();
            var acks = await queue.AckAsync(claim.Items, CancellationToken.None);
            var t3 = Stopwatch.GetTimestamp();
            if (claim.Items.Count != 50 || acks.Any(a => !a))
            {
                throw new InvalidOperationException("batch round failed");
            }

            Keep("enqueue 50 items (one call)", t1 - t0);
            Keep("claim 50 items", t2 - t1);
            Keep("ack 50 items (one call)", t3 - t2);
        }
    }

    private static CanonicalEvent Event(string id) =>
        new("lemlist", id, "email.opened", DateTimeOffset.UtcNow, "cam_scale", "lead@bench.example", null, $$"""{"_id":"{{id}}","type":"emailsOpened","campaignId":"cam_scale","leadEmail":"lead@bench.example"}""");
}
