using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;

namespace SalesAuto.Bench.Infrastructure;

/// <summary>What one load run measured (warm-up excluded); <c>AllEvents</c> counts the warm-up and the tail too, to check against the rows stored.</summary>
internal sealed record LoadResult(long Requests, long Errors, long Events, long AllEvents, TimeSpan Elapsed, long[] LatencyTicks, IReadOnlyDictionary<string, long> ErrorKinds)
{
    private Latencies? _latencies;

    public Latencies Latencies => _latencies ??= new Latencies(LatencyTicks);

    public double RequestsPerSecond => Requests / Elapsed.TotalSeconds;

    public double EventsPerSecond => Events / Elapsed.TotalSeconds;

    public string DescribeErrors() => Errors == 0 ? "0" : $"{Errors} ({string.Join(", ", ErrorKinds.Select(k => $"{k.Key}: {k.Value}"))})";

    /// <summary>Two runs of the same scenario (rounds) as one: counts and windows added, latencies pooled.</summary>
    public static LoadResult Merge(LoadResult? first, LoadResult second)
    {
        ArgumentNullException.ThrowIfNull(second);
        if (first is null)
        {
            return second;
        }

        var kinds = new Dictionary<string, long>(first.ErrorKinds);
        foreach (var (kind, count) in second.ErrorKinds)
        {
            kinds[kind] = kinds.GetValueOrDefault(kind) + count;
        }

        return new LoadResult(first.Requests + second.Requests, first.Errors + second.Errors, first.Events + second.Events, first.AllEvents + second.AllEvents,
            first.Elapsed + second.Elapsed, [.. first.LatencyTicks, .. second.LatencyTicks], kinds);
    }
}

/// <summary>
/// Closed-loop HTTP load: <c>concurrency</c> workers, each sending its next request as soon as the
/// previous one is answered, for a warm-up and then a measured duration. Only requests that start
/// and finish inside the measured window count. Optionally paced to a total rate (the memory
/// benchmark's steady load). Every request's latency is kept. A request counts as an error when it
/// fails or its status is not 2xx; its events count only when it succeeded.
/// </summary>
internal sealed class LoadGenerator(HttpClient client)
{
    public static HttpClient CreateClient(Uri baseAddress, int concurrency) =>
        new(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = concurrency,
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };

    // makeRequest builds request number n (unique across workers); eventsPerRequest is what one
    // successful request carries; ratePerSecond paces all workers together (0: as fast as answered).
    public async Task<LoadResult> RunAsync(Func<long, HttpRequestMessage> makeRequest, int eventsPerRequest, int concurrency, TimeSpan warmup, TimeSpan duration, double ratePerSecond = 0, CancellationToken cancellationToken = default)
    {
        var sequence = -1L;
        var started = Stopwatch.GetTimestamp();
        var measureFrom = started + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
        var measureTo = measureFrom + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var errorKinds = new ConcurrentDictionary<string, long>();
        var perWorker = new List<long>[concurrency];
        var counts = new long[concurrency, 4];

        async Task WorkerAsync(int worker)
        {
            var latencies = perWorker[worker] = new List<long>(16 * 1024);
            while (!cancellationToken.IsCancellationRequested)
            {
                var n = Interlocked.Increment(ref sequence);
                if (ratePerSecond > 0)
                {
                    // Request n is due at n / rate seconds after the start: a steady, open-ended pace.
                    var due = started + (long)(n / ratePerSecond * Stopwatch.Frequency);
                    var wait = due - Stopwatch.GetTimestamp();
                    if (wait > 0)
                    {
                        await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency), cancellationToken);
                    }
                }

                var before = Stopwatch.GetTimestamp();
                if (before >= measureTo)
                {
                    return;
                }

                string? error = null;
                try
                {
                    using var request = makeRequest(n);
                    using var response = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
                    if (!response.IsSuccessStatusCode)
                    {
                        error = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
                    }
                }
                catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
                {
                    error = exception.GetType().Name;
                }

                var after = Stopwatch.GetTimestamp();
                if (error is null)
                {
                    counts[worker, 3] += eventsPerRequest;
                }

                if (before >= measureFrom && after <= measureTo)
                {
                    counts[worker, 0]++;
                    latencies.Add(after - before);
                    if (error is null)
                    {
                        counts[worker, 2] += eventsPerRequest;
                    }
                    else
                    {
                        counts[worker, 1]++;
                        errorKinds.AddOrUpdate(error, 1, (_, c) => c + 1);
                    }
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(w => Task.Run(() => WorkerAsync(w), cancellationToken)));
        long requests = 0, errors = 0, events = 0, allEvents = 0;
        for (var w = 0; w < concurrency; w++)
        {
            requests += counts[w, 0];
            errors += counts[w, 1];
            events += counts[w, 2];
            allEvents += counts[w, 3];
        }

        return new LoadResult(requests, errors, events, allEvents, duration, [.. perWorker.SelectMany(l => l)], errorKinds);
    }
}
