using System.Diagnostics;
using System.Net;
using System.Text.Json;
using SalesAuto.Core.DeadLetters;
using SalesAuto.Core.Events;
using SalesAuto.Core.Observability;
using SalesAuto.Core.Tests.Infrastructure;

namespace SalesAuto.Core.Tests.Console;

/// <summary>
/// SalesAuto.Server on real Postgres and Redis with seeded dead letters, enrollments and orphans,
/// for the browser scenarios. Each scenario owns its dead letters (a source name of its own), so
/// the scenarios do not depend on their order.
/// </summary>
public sealed class ConsoleBrowserFixture : WebhookServerFixture
{
    public const string XssPayload = """{"id":"evt_xss","note":"<img src=x onerror=\"window.__pwned=1\">","html":"<script>window.__pwned=2</script>","nested":{"a":"</pre><b>bold?</b>"}}""";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var store = Server.Services.GetRequiredService<IDeadLetterStore>();
        var now = DateTimeOffset.UtcNow;

        // 50 minutes as the retry cycle would have sampled them (a backlog that built up and
        // drained), so the chart has lines to draw. First: nothing has read the queue yet, and
        // the first GET /api/queue appends the real current reading after these.
        var history = Server.Services.GetRequiredService<QueueHistory>();
        for (var i = 100; i >= 1; i--)
        {
            history.Record(new QueueSample(now.AddSeconds(-30 * i), Math.Max(0, 40 - Math.Abs(i - 70)), i is > 60 and < 80 ? 5 : 0, 0, i > 40 ? 30 : 36));
        }

        // Paging: 30 failed and 3 ignored, two pages of 25.
        var page = Enumerable.Range(0, 33).Select(i => DeadLetter("console-page", $"page_{i:D2}", createdOffsetMinutes: i)).ToList();
        await store.AddAsync(page, TestContext.Token);
        var pageIds = await IdsAsync("console-page");
        await PostAsync("/api/dlq/ignore", new { ids = pageIds.Take(3), reason = "seeded as ignored" });

        // Detail: one with history.
        await store.AddAsync([DeadLetter("console-detail", "detail_1", attempts: 6, reason: "enrollment not found after 6 attempts")], TestContext.Token);
        await PostAsync("/api/dlq/ignore", new { ids = await IdsAsync("console-detail"), reason = "seeded for the detail view" });

        // Replay: two whose enrollments exist now.
        await store.AddAsync(
            [
                DeadLetter("console-replay", "replay_1", campaign: "cam_console_replay", email: "replay1@example.com"),
                DeadLetter("console-replay", "replay_2", campaign: "cam_console_replay", email: "replay2@example.com"),
            ],
            TestContext.Token);
        await PostAsync("/api/enrollments", new { campaignId = "cam_console_replay", email = "replay1@example.com" });
        await PostAsync("/api/enrollments", new { campaignId = "cam_console_replay", email = "replay2@example.com" });

        // Replay by filter: seven with no enrollment.
        await store.AddAsync(Enumerable.Range(0, 7).Select(i => DeadLetter("console-dryrun", $"dry_{i}")).ToList(), TestContext.Token);

        // Ignore: one.
        await store.AddAsync([DeadLetter("console-ignore", "ignore_1")], TestContext.Token);

        // Hostile content everywhere a value is shown.
        await store.AddAsync(
            [DeadLetter("console-xss", "<img src=x onerror=\"window.__pwned=3\">", type: "<img src=x onerror=\"window.__pwned=4\">", reason: "<svg onload=\"window.__pwned=5\"></svg>", payload: XssPayload)],
            TestContext.Token);

        // Three orphans in the retry queue (no enrollment for their campaign).
        for (var i = 0; i < 3; i++)
        {
            var activity = JsonSerializer.Serialize(new { _id = $"act_console_{i}", type = "emailsOpened", campaignId = "cam_console_orphans", leadEmail = $"orphan{i}@example.com", createdAt = now });
            using var response = await Server.Client.PostAsync($"/api/webhooks/lemlist?token={LemlistToken}", RunningServer.Json(activity), TestContext.Token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        NewDeadLetter DeadLetter(string source, string eventId, string type = "email.opened", string campaign = "cam_console", string? email = null, int attempts = 6, string reason = "enrollment not found after 6 attempts", string? payload = null, int createdOffsetMinutes = 0) =>
            new(
                new CanonicalEvent(source, eventId, type, now.AddMinutes(-createdOffsetMinutes), campaign, email ?? $"{Guid.NewGuid():N}@example.com", null, payload ?? JsonSerializer.Serialize(new { id = eventId, type, campaignId = campaign, data = new { subject = "Q4 outbound", step = 2 } })),
                attempts,
                now.AddHours(-2),
                reason);
    }

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        // Hourly: the retry cycle (disabled here) stays "healthy" for the whole run, so the
        // overview's health is stable while the page and the API are compared.
        settings["RetryQueue:Schedule"] = "0 0 * * * *";
    }

    private async Task<List<Guid>> IdsAsync(string source)
    {
        using var response = await Server.Admin.GetAsync($"/api/dlq?source={source}&limit=200", TestContext.Token);
        var page = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Token)).RootElement;
        return page.GetProperty("items").EnumerateArray().Select(item => item.GetProperty("id").GetGuid()).ToList();
    }

    private async Task PostAsync(string path, object body)
    {
        using var response = await Server.Admin.PostAsync(path, RunningServer.Json(JsonSerializer.Serialize(body)), TestContext.Token);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(TestContext.Token)}");
    }
}

/// <summary>
/// The operator console in a real headless Chromium (Debian's <c>chromium</c>) driven by
/// playwright-core: one node script per scenario (<c>Console/Browser/*.mjs</c>), which asserts
/// and exits non-zero with its reason. Screenshots go to <c>.local/test-results/console-screenshots/</c>
/// (or <c>SALESAUTO_CONSOLE_SCREENSHOTS</c>). A missing chromium or missing npm packages fail
/// these tests: they never skip.
/// </summary>
public sealed class ConsoleBrowserTests(ConsoleBrowserFixture fixture) : IClassFixture<ConsoleBrowserFixture>
{
    [Theory]
    [InlineData("overview")]
    [InlineData("deadletters")]
    [InlineData("detail")]
    [InlineData("replay")]
    [InlineData("dryrun")]
    [InlineData("ignore")]
    [InlineData("xss")]
    [InlineData("wrongkey")]
    [InlineData("privacy")]
    public async Task Scenario_Passes_InHeadlessChromium(string scenario) =>
        await BrowserScenario.RunAsync(scenario, fixture.Server.BaseAddress, RunningServer.AdminKey);
}

/// <summary>Runs <c>node Console/Browser/{scenario}.mjs baseUrl key screenshotDir</c> from the repository.</summary>
internal static class BrowserScenario
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    public static string Directory { get; } = Path.Combine(RepositoryRoot(), "SalesAuto.Core.Tests", "Console", "Browser");

    public static string ScreenshotDirectory { get; } =
        Environment.GetEnvironmentVariable("SALESAUTO_CONSOLE_SCREENSHOTS") is { Length: > 0 } configured
            ? configured
            : Path.Combine(RepositoryRoot(), ".local", "test-results", "console-screenshots");

    public static async Task RunAsync(string scenario, Uri baseAddress, string key)
    {
        var chromium = Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } path ? path : "/usr/bin/chromium";
        Assert.True(File.Exists(chromium), $"{chromium} is missing: install it (apt-get install -y chromium; scripts/test.sh and .ci/run do). The console's browser tests never skip.");
        Assert.True(
            File.Exists(Path.Combine(Directory, "node_modules", "playwright-core", "package.json")),
            $"playwright-core is not installed: run `npm ci` in {Directory} (scripts/test.sh does).");

        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { $"{scenario}.mjs", baseAddress.ToString(), key, ScreenshotDirectory })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["CHROMIUM_PATH"] = chromium;
        using var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Token);
        var errors = process.StandardError.ReadToEndAsync(TestContext.Token);
        using var timeout = new CancellationTokenSource(Limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"scenario {scenario} did not finish in {Limit}: {await output}{await errors}");
        }

        var text = (await output + await errors).Trim();
        Assert.True(process.ExitCode == 0, $"scenario {scenario} failed (exit {process.ExitCode}; screenshots in {ScreenshotDirectory}):\n{text}");
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "SalesAuto.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No SalesAuto.sln above {AppContext.BaseDirectory}: the browser scenarios run from the repository.");
    }
}
