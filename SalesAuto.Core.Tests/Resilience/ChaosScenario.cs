using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Npgsql;
using SalesAuto.Core.RetryQueue;
using SalesAuto.Core.Tests.Infrastructure;
using SalesAuto.Core.Tests.RetryQueue;
using SalesAuto.Core.Tests.Webhooks;
using StackExchange.Redis;

namespace SalesAuto.Core.Tests.Resilience;

/// <summary>How big a chaos run is: the suite's test runs a small one, bench/chaos.sh a long one.</summary>
public sealed record ChaosSize(int Campaigns, int ContactsPerCampaign, int EventsPerCampaign, int FaultRounds, int Concurrency, TimeSpan GiveUpAfter)
{
    /// <summary>The suite's size, bounded well under a minute; bench/chaos.sh overrides it with SALESAUTO_CHAOS_* variables.</summary>
    public static ChaosSize FromEnvironment() => new(
        Read("SALESAUTO_CHAOS_CAMPAIGNS", 4),
        Read("SALESAUTO_CHAOS_CONTACTS", 10),
        Read("SALESAUTO_CHAOS_EVENTS", 60),
        Read("SALESAUTO_CHAOS_ROUNDS", 1),
        Read("SALESAUTO_CHAOS_CONCURRENCY", 8),
        TimeSpan.FromSeconds(Read("SALESAUTO_CHAOS_GIVE_UP_SECONDS", 30)));

    private static int Read(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0 ? value : fallback;
}

/// <summary>What a chaos run counted; <see cref="ToString"/> is the report bench/chaos.sh appends to docs/benchmarks.md.</summary>
public sealed class ChaosReport
{
    public int Events;
    public int Deliveries;
    public int Redeliveries;
    public int Answered200;
    public int Answered503;
    public int Timeouts;
    public int ConnectionErrors;
    public int Unexpected;
    public int Acknowledged;
    public int GaveUp;
    public int GaveUpButStored;
    public int Stored;
    public int StoredTwice;
    public int DeadLettered;
    public int LateEnrollments;
    public long QueueLeftDue;
    public long QueueLeftLeased;
    public bool StatsMatch;
    public readonly List<string> Faults = [];
    public TimeSpan LoadDuration;
    public TimeSpan DrainDuration;

    public override string ToString() => string.Join('\n',
        $"events sent: {Events} distinct, {Deliveries} deliveries ({Redeliveries} redeliveries of acknowledged events), {LateEnrollments} enrollments arriving late",
        $"answers: {Answered200} x 200, {Answered503} x 503, {Timeouts} client timeouts (5 s), {ConnectionErrors} connection errors, {Unexpected} unexpected",
        $"acknowledged (a 200): {Acknowledged}; given up after the retry window: {GaveUp} ({GaveUpButStored} of them stored anyway)",
        $"stored: {Stored} events, {StoredTwice} stored twice; dead-lettered: {DeadLettered}; campaign stats equal what was sent: {(StatsMatch ? "yes" : "NO")}",
        $"left in the queue: {QueueLeftDue} due, {QueueLeftLeased} leased",
        $"faults: {string.Join("; ", Faults)}",
        $"load phase {LoadDuration.TotalSeconds:F1} s, drain after it {DrainDuration.TotalSeconds:F1} s");
}

/// <summary>
/// Faults under load (issue 16): a SalesAuto.Server process on a private Postgres and a private
/// Redis (AOF, fsync always), a load generator that sends signed Standard Webhooks (events of
/// enrolled contacts, orphans whose enrollment arrives late, redeliveries) and retries every 503,
/// timeout and refused connection as a provider would, while Postgres is restarted (fast, then
/// immediate), Redis is killed and restarted, and the Server is SIGKILLed during a cycle and
/// started again. Afterwards it counts what happened; the caller asserts.
/// </summary>
public sealed class ChaosScenario : IAsyncDisposable
{
    private const string Source = "std";
    private const string Secret = "whsec_Y2hhb3MtdGVzdC1zdGFuZGFyZC13ZWJob29rcy1zZWNyZXQ=";
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(5);

    private readonly ChaosSize _size;
    private readonly ChaosReport _report = new();
    private readonly string _prefix = TestEnvironment.UniqueName("chaos") + ":";
    private readonly string _run = Guid.NewGuid().ToString("N")[..8];
    private readonly int _serverPort = TestEnvironment.ClosedPort();
    private readonly ConcurrentDictionary<string, bool> _acknowledged = new();
    private readonly ConcurrentDictionary<string, bool> _gaveUp = new();
    private readonly HttpClient _http = new() { Timeout = ClientTimeout };
    private PrivatePostgresServer? _postgres;
    private PrivateRedisServer? _redis;
    private ServerProcess? _server;

    public ChaosScenario(ChaosSize size) => _size = size;

    public ChaosReport Report => _report;

    /// <summary>Events that got a 200.</summary>
    public IReadOnlyCollection<string> Acknowledged => (IReadOnlyCollection<string>)_acknowledged.Keys;

    public async Task<ChaosReport> RunAsync(CancellationToken cancellationToken)
    {
        _postgres = await PrivatePostgresServer.StartAsync(cancellationToken);
        _redis = await PrivateRedisServer.StartAsync(cancellationToken);
        _server = await StartServerAsync(cancellationToken);

        var campaigns = Enumerable.Range(0, _size.Campaigns).Select(c => $"cam_{_run}_{c}").ToList();
        // Even contacts are enrolled before any event; odd ones only once the load is under way.
        var early = campaigns.SelectMany(c => Enumerable.Range(0, _size.ContactsPerCampaign).Where(i => i % 2 == 0).Select(i => (c, Email(i)))).ToList();
        var late = campaigns.SelectMany(c => Enumerable.Range(0, _size.ContactsPerCampaign).Where(i => i % 2 == 1).Select(i => (c, Email(i)))).ToList();
        await Task.WhenAll(early.Select(e => EnrollAsync(e.c, e.Item2, cancellationToken)));

        var random = new Random(20261203);
        var types = new[] { "email.sent", "email.opened", "email.clicked", "email.replied" };
        var events = campaigns.SelectMany(c => Enumerable.Range(0, _size.EventsPerCampaign).Select(i => new ChaosEvent(
            $"evt_{c}_{i}", types[random.Next(types.Length)], c, Email(random.Next(_size.ContactsPerCampaign))))).ToList();
        // Every fifth event is delivered a second time after its first 200: a provider's redelivery.
        var deliveries = events.Concat(events.Where((_, i) => i % 5 == 0)).OrderBy(_ => random.Next()).ToList();
        _report.Events = events.Count;

        var load = Stopwatch.StartNew();
        using var faultsDone = new CancellationTokenSource();
        var attempted = 0;
        var lateEnrollments = Task.Run(async () =>
        {
            while (Volatile.Read(ref attempted) < deliveries.Count / 3)
            {
                await Task.Delay(50, cancellationToken);
            }

            await Task.WhenAll(late.Select(e => EnrollAsync(e.c, e.Item2, cancellationToken)));
            _report.LateEnrollments = late.Count;
        }, cancellationToken);
        var faults = InjectFaultsAsync(cancellationToken);
        // Paced so the load lasts as long as the faults (about 9 s a round), whatever the size.
        var pace = TimeSpan.FromSeconds(9.0 * _size.FaultRounds * _size.Concurrency / deliveries.Count);
        await Parallel.ForEachAsync(deliveries, new ParallelOptions { MaxDegreeOfParallelism = _size.Concurrency, CancellationToken = cancellationToken }, async (evt, token) =>
        {
            await Task.Delay(pace, token);
            Interlocked.Increment(ref attempted);
            await DeliverAsync(evt, token);
        });
        await lateEnrollments;
        await faults;
        _report.LoadDuration = load.Elapsed;

        var drain = Stopwatch.StartNew();
        await WaitForDrainAsync(cancellationToken);
        _report.DrainDuration = drain.Elapsed;
        await CountAsync(events, cancellationToken);
        return _report;
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }

        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }
    }

    private static string Email(int contact) => $"lead{contact.ToString(CultureInfo.InvariantCulture)}@example.com";

    private Task<ServerProcess> StartServerAsync(CancellationToken cancellationToken)
    {
        var settings = RunningServer.DefaultSettings(_postgres!.ConnectionString, _prefix);
        settings["ConnectionStrings:Redis"] = _redis!.ConnectionString;
        settings["RetryQueue:CycleEnabled"] = "true";
        settings["RetryQueue:Schedule"] = "*/1 * * * * *";
        settings["RetryQueue:Delays"] = "00:00:00.200,00:00:00.500,00:00:01,00:00:02";
        settings["RetryQueue:MaxAttempts"] = "60";
        settings["RetryQueue:JitterMax"] = "00:00:00.100";
        settings["RetryQueue:Lease"] = "00:00:03";
        settings["Resilience:BreakDuration"] = "00:00:01";
        settings["Webhooks:Sources:std:Kind"] = "StandardWebhooks";
        settings["Webhooks:Sources:std:Secrets:0"] = Secret;
        return ServerProcess.StartAsync(settings, cancellationToken, _serverPort);
    }

    private Uri Url(string path) => new($"http://127.0.0.1:{_serverPort.ToString(CultureInfo.InvariantCulture)}{path}");

    // A provider: the same delivery again after every 503 (honouring Retry-After, capped), timeout
    // or refused connection, until it gets a 200 or its retry window closes.
    private async Task DeliverAsync(ChaosEvent evt, CancellationToken cancellationToken)
    {
        var redelivery = _acknowledged.ContainsKey(evt.Id);
        Interlocked.Increment(ref _report.Deliveries);
        if (redelivery)
        {
            Interlocked.Increment(ref _report.Redeliveries);
        }

        var body = JsonSerializer.Serialize(new { id = evt.Id, type = evt.Type, occurredAt = "2026-12-03T09:00:00Z", campaignId = evt.Campaign, email = evt.Email, data = new { } });
        var window = Stopwatch.StartNew();
        while (window.Elapsed < _size.GiveUpAfter)
        {
            var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var messageId = "msg_" + evt.Id;
            using var request = new HttpRequestMessage(HttpMethod.Post, Url($"/api/webhooks/{Source}")) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Add("webhook-id", messageId);
            request.Headers.Add("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
            request.Headers.Add("webhook-signature", Signatures.StandardWebhooks(Secret, messageId, timestamp, body));
            var wait = TimeSpan.FromMilliseconds(200);
            try
            {
                using var response = await _http.SendAsync(request, cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    Interlocked.Increment(ref _report.Answered200);
                    _acknowledged[evt.Id] = true;
                    _gaveUp.TryRemove(evt.Id, out _);
                    return;
                }

                if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
                {
                    Interlocked.Increment(ref _report.Answered503);
                    if (response.Headers.RetryAfter?.Delta is { } delta)
                    {
                        wait = delta < TimeSpan.FromSeconds(2) ? delta : TimeSpan.FromSeconds(2);
                    }
                }
                else
                {
                    Interlocked.Increment(ref _report.Unexpected);
                    throw new InvalidOperationException($"{evt.Id}: unexpected {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
                }
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                Interlocked.Increment(ref _report.Timeouts);
            }
            catch (HttpRequestException)
            {
                Interlocked.Increment(ref _report.ConnectionErrors);
            }

            await Task.Delay(wait, cancellationToken);
        }

        if (!_acknowledged.ContainsKey(evt.Id))
        {
            _gaveUp[evt.Id] = true;
        }
    }

    private async Task EnrollAsync(string campaign, string email, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.Serialize(new { campaignId = campaign, email });
        var window = Stopwatch.StartNew();
        while (true)
        {
            Assert.True(window.Elapsed < TimeSpan.FromSeconds(90), $"enrollment of {email} in {campaign} refused for 90 s");
            using var request = new HttpRequestMessage(HttpMethod.Post, Url("/api/enrollments")) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Add("x-functions-key", RunningServer.AdminKey);
            try
            {
                using var response = await _http.SendAsync(request, cancellationToken);
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Created)
                {
                    return;
                }

                Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(200, cancellationToken);
        }
    }

    private async Task InjectFaultsAsync(CancellationToken cancellationToken)
    {
        for (var round = 0; round < _size.FaultRounds; round++)
        {
            await Task.Delay(TimeSpan.FromSeconds(1.5), cancellationToken);
            await TimedAsync("Postgres restarted (fast)", () => _postgres!.RestartAsync("fast", cancellationToken));
            await Task.Delay(TimeSpan.FromSeconds(1.5), cancellationToken);
            await TimedAsync("Postgres restarted (immediate)", () => _postgres!.RestartAsync("immediate", cancellationToken));
            await Task.Delay(TimeSpan.FromSeconds(1.5), cancellationToken);
            await TimedAsync("Redis killed and restarted (AOF)", async () =>
            {
                await _redis!.KillAsync(cancellationToken);
                await _redis.StartAgainAsync(cancellationToken);
            });
            await Task.Delay(TimeSpan.FromSeconds(1.5), cancellationToken);
            var leased = await WaitForLeasesAsync(cancellationToken);
            await TimedAsync($"Server SIGKILLed ({(leased > 0 ? $"mid-cycle, {leased} orphans leased" : "no cycle was holding leases")}) and started again", async () =>
            {
                await _server!.KillAsync(cancellationToken);
                await _server.DisposeAsync();
                _server = await StartServerAsync(cancellationToken);
            });
        }
    }

    private async Task TimedAsync(string what, Func<Task> fault)
    {
        var watch = Stopwatch.StartNew();
        await fault();
        lock (_report.Faults)
        {
            _report.Faults.Add($"{what} in {watch.Elapsed.TotalSeconds:F1} s");
        }
    }

    // "Mid-cycle": waits (a few seconds at most) until a cycle holds leases, so the kill lands on
    // claimed work; returns how many were leased when it did.
    private async Task<long> WaitForLeasesAsync(CancellationToken cancellationToken)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(_redis!.ConnectionString);
        var keys = new RetryQueueKeys(_prefix);
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(5))
        {
            try
            {
                var leased = await redis.GetDatabase().SortedSetLengthAsync(keys.Leases);
                if (leased > 0)
                {
                    return leased;
                }
            }
            catch (RedisException)
            {
            }

            await Task.Delay(5, cancellationToken);
        }

        return 0;
    }

    private async Task WaitForDrainAsync(CancellationToken cancellationToken)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(_redis!.ConnectionString);
        var keys = new RetryQueueKeys(_prefix);
        var db = redis.GetDatabase();
        var watch = Stopwatch.StartNew();
        while (true)
        {
            _report.QueueLeftDue = await db.SortedSetLengthAsync(keys.Due);
            _report.QueueLeftLeased = await db.SortedSetLengthAsync(keys.Leases);
            if ((_report.QueueLeftDue == 0 && _report.QueueLeftLeased == 0) || watch.Elapsed > TimeSpan.FromSeconds(60))
            {
                return;
            }

            await Task.Delay(200, cancellationToken);
        }
    }

    private async Task CountAsync(List<ChaosEvent> events, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(_postgres!.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        var stored = new Dictionary<string, long>();
        await using (var command = new NpgsqlCommand("select event_id, count(*) from campaign_events where source = @s group by event_id", connection))
        {
            command.Parameters.AddWithValue("s", Source);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                stored[reader.GetString(0)] = reader.GetInt64(1);
            }
        }

        await using (var command = new NpgsqlCommand("select count(*) from dead_letters where source = @s", connection))
        {
            command.Parameters.AddWithValue("s", Source);
            _report.DeadLettered = (int)(long)(await command.ExecuteScalarAsync(cancellationToken))!;
        }

        _report.Acknowledged = _acknowledged.Count;
        _report.GaveUp = _gaveUp.Count;
        _report.GaveUpButStored = _gaveUp.Keys.Count(stored.ContainsKey);
        _report.Stored = stored.Count;
        _report.StoredTwice = stored.Values.Count(c => c > 1);
        MissingAcknowledged = [.. _acknowledged.Keys.Where(id => !stored.ContainsKey(id))];

        // Campaign statistics, as an operator reads them, against what was sent and stored.
        _report.StatsMatch = true;
        foreach (var campaign in events.GroupBy(e => e.Campaign))
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, Url($"/api/campaigns/{campaign.Key}/stats"));
            request.Headers.Add("x-functions-key", RunningServer.AdminKey);
            using var response = await _http.SendAsync(request, cancellationToken);
            var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken)).RootElement;
            var counted = json.GetProperty("events").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64());
            var sent = campaign.Where(e => stored.ContainsKey(e.Id)).GroupBy(e => e.Type).ToDictionary(g => g.Key, g => (long)g.Count());
            var allSent = campaign.Count() == sent.Values.Sum();
            if (!allSent || counted.Count != sent.Count || counted.Any(c => !sent.TryGetValue(c.Key, out var n) || n != c.Value))
            {
                _report.StatsMatch = false;
            }
        }
    }

    /// <summary>Events that got a 200 and are not stored: must be empty.</summary>
    public List<string> MissingAcknowledged { get; private set; } = [];

    private sealed record ChaosEvent(string Id, string Type, string Campaign, string Email);
}
