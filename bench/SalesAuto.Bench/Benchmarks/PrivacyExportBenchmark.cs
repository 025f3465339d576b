using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using SalesAuto.Bench.Infrastructure;

namespace SalesAuto.Bench.Benchmarks;

/// <summary>
/// Benchmark 6, privacy export memory (bench/privacy-export.sh): SalesAuto.Server as a child
/// process; one person per size with that many events (Lemlist-shaped payloads, ~350 bytes each)
/// seeded in Postgres; <c>POST /api/privacy/export</c> for each, the response read as a stream. The
/// server's RSS (VmRSS) is sampled every 20 ms during each export and its peak (VmHWM) read before
/// and after: a streamed export costs a batch of memory whatever the event count, so the growth
/// must not follow the size of the document. The server runs under a GC heap hard limit
/// (<c>DOTNET_GCHeapHardLimit</c>, default 48 MiB) smaller than the largest document: an export
/// that held the document in memory would fail with OutOfMemoryException.
/// </summary>
internal static class PrivacyExportBenchmark
{
    private const string Schema = "bench_privacy";

    public static async Task<Report> RunAsync(Cli cli, Machine machine, string command)
    {
        var sizes = cli.Ints("events", "10000,100000");
        var heapLimitMib = cli.Int("heap-limit-mib", 48);
        cli.RejectUnknown();

        var report = new Report("Privacy export memory", command);
        report.Size(Fmt.Inv($"Sizes: one person per size with {string.Join(", ", sizes.Select(s => s.ToString("N0", CultureInfo.InvariantCulture)))} events (one enrollment, Lemlist-shaped payloads of about 350 bytes); a 1,000-event export first as warm-up (not recorded); RSS sampled every 20 ms during each export; the server's GC heap hard limit {heapLimitMib} MiB (DOTNET_GCHeapHardLimit); Postgres schema {Schema}; the shared Redis (nothing parked)."));
        await machine.AddPostgresVersionAsync(BenchEnvironment.Postgres);
        var postgres = await BenchEnvironment.RecreateMigratedSchemaAsync(Schema);
        foreach (var size in sizes.Prepend(1000).Distinct())
        {
            await SeedAsync(postgres, size);
        }

        var settings = ServerSettings.For(postgres, BenchEnvironment.SharedRedis, $"bench:privacy:{Guid.NewGuid():N}:");
        settings["DOTNET_GCHeapHardLimit"] = (heapLimitMib * 1024L * 1024L).ToString("X", CultureInfo.InvariantCulture);
        await using var server = await ServerSettings.StartAsync(settings);
        using var client = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromMinutes(10) };
        client.DefaultRequestHeaders.Add("x-functions-key", Webhooks.AdminKey);

        await ExportAsync(client, server, 1000);
        var table = report.Table("POST /api/privacy/export, one person each", "events", "document MiB", "seconds", "RSS before MiB", "peak RSS during MiB", "growth MiB", "VmHWM before / after MiB");
        var growth = new Dictionary<int, long>();
        var documents = new Dictionary<int, long>();
        foreach (var size in sizes)
        {
            var run = await ExportAsync(client, server, size);
            growth[size] = run.PeakRss - run.RssBefore;
            documents[size] = run.Bytes;
            table.Add([size.ToString("N0", CultureInfo.InvariantCulture), Fmt.Mib(run.Bytes), Fmt.Inv($"{run.Elapsed.TotalSeconds:0.00}"), Fmt.Mib(run.RssBefore), Fmt.Mib(run.PeakRss), Fmt.Mib(growth[size]), $"{Fmt.Mib(run.HwmBefore)} / {Fmt.Mib(run.HwmAfter)}"]);
        }

        var (smallest, largest) = (sizes.Min(), sizes.Max());
        var summary = report.Table(string.Empty, "check", "value", "goal", "met");
        var extra = growth[largest] - growth[smallest];
        summary.Add([Fmt.Inv($"growth at {largest:N0} events minus growth at {smallest:N0}"), Fmt.Inv($"{Fmt.Mib(extra)} MiB (documents {Fmt.Mib(documents[smallest])} vs {Fmt.Mib(documents[largest])} MiB)"), "<= 16 MiB", Fmt.Met(extra <= 16L * 1024 * 1024)]);
        summary.Add([Fmt.Inv($"the {largest:N0}-event document vs the server's GC heap hard limit"), Fmt.Inv($"{Fmt.Mib(documents[largest])} MiB exported under a {heapLimitMib} MiB limit"), "exported in full", Fmt.Met(documents[largest] > heapLimitMib * 1024L * 1024L)]);
        report.Note("RSS includes the GC's heap reservations: the growth is an upper bound on what one export holds.");

        await server.DisposeAsync();
        await BenchEnvironment.DropSchemaAsync(Schema);
        return report;
    }

    private static async Task<Run> ExportAsync(HttpClient client, ChildServer server, int size)
    {
        var rssBefore = server.ReadRss();
        var hwmBefore = ReadHwm(server.ProcessId);
        var peak = rssBefore;
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                peak = Math.Max(peak, server.ReadRss());
                try
                {
                    await Task.Delay(20, stop.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        });

        var started = Stopwatch.GetTimestamp();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/privacy/export")
        {
            Content = new StringContent($$"""{"email":"{{Email(size)}}"}""", new MediaTypeHeaderValue("application/json")),
        };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        using var body = new MemoryStream();
        await (await response.Content.ReadAsStreamAsync()).CopyToAsync(body);
        var elapsed = Stopwatch.GetElapsedTime(started);
        await stop.CancelAsync();
        await sampler;
        peak = Math.Max(peak, server.ReadRss());

        body.Position = 0;
        using var document = await JsonDocument.ParseAsync(body);
        var events = document.RootElement.GetProperty("events").GetArrayLength();
        if (events != size)
        {
            throw new InvalidOperationException($"the export of {size} events held {events}");
        }

        Console.WriteLine(Fmt.Inv($"{size,8:N0} events: {Fmt.Mib(body.Length)} MiB in {elapsed.TotalSeconds:0.00}s; RSS {Fmt.Mib(rssBefore)} -> peak {Fmt.Mib(peak)} MiB"));
        return new Run(body.Length, elapsed, rssBefore, peak, hwmBefore, ReadHwm(server.ProcessId));
    }

    private static long ReadHwm(int processId)
    {
        var line = File.ReadLines($"/proc/{processId}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    private static string Email(int size) => Fmt.Inv($"person{size}@bench.example");

    private static async Task SeedAsync(string postgres, int size)
    {
        var sql = Fmt.Inv($"""
            insert into campaigns (id, name) values ('cam_p{size}', 'Privacy bench {size}');
            insert into enrollments (campaign_id, email, crm_contact_id) values ('cam_p{size}', '{Email(size)}', '{900000 + size}');
            insert into campaign_events (source, event_id, enrollment_id, campaign_id, type, occurred_at, payload)
            select 'lemlist', 'act_{size}_' || n, (select id from enrollments where email = '{Email(size)}'), 'cam_p{size}', 'email.opened', now(),
                   jsonb_build_object('_id', 'act_{size}_' || n, 'type', 'emailsOpened', 'createdAt', '2026-11-23T10:15:02.511Z', 'teamId', 'tea_bench',
                                      'campaignId', 'cam_p{size}', 'campaignName', 'Privacy bench', 'leadId', 'lea_' || n, 'leadEmail', '{Email(size)}',
                                      'leadFirstName', 'Person', 'sendUserEmail', 'rep@bench.example', 'sequenceStep', 1, 'isFirst', false, 'emailId', 'eml_' || n)
            from generate_series(1, {size}) n;
            analyze campaign_events;
            """);
        await Db.ExecuteAsync(postgres, sql);
    }

    private sealed record Run(long Bytes, TimeSpan Elapsed, long RssBefore, long PeakRss, long HwmBefore, long HwmAfter);
}
