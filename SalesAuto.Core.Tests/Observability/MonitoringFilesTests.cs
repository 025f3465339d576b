using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Prometheus;
using SalesAuto.Core.Http;
using SalesAuto.Core.Observability;
using SalesAuto.Core.Tests.Infrastructure;

namespace SalesAuto.Core.Tests.Observability;

/// <summary>
/// The operators' kit (infra/monitoring: alert rules, their promtool tests, the Grafana dashboard)
/// against the metrics SalesAutoMetrics really declares, and docs/operations.md against both:
/// a renamed metric, a misspelt label value or an alert without a runbook fails here, not in
/// production. scripts/check-monitoring.sh adds promtool's own checks (the rules load and fire).
/// </summary>
public sealed partial class MonitoringFilesTests
{
    private static readonly string MonitoringDirectory = Path.Combine(AppContext.BaseDirectory, "repo", "infra", "monitoring");

    // Labels Prometheus attaches to every scraped series.
    private static readonly HashSet<string> TargetLabels = ["job", "instance"];

    [Fact]
    public void Dashboard_HasPanelsWithQueriesOnTheDatasourceVariable_WhenParsed()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(MonitoringDirectory, "dashboard.json")));
        var root = dashboard.RootElement;

        Assert.True(root.GetProperty("schemaVersion").GetInt32() >= 36, "schemaVersion");
        Assert.False(string.IsNullOrEmpty(root.GetProperty("uid").GetString()));
        var variables = root.GetProperty("templating").GetProperty("list").EnumerateArray().ToList();
        Assert.Contains(variables, v => v.GetProperty("name").GetString() == "DS_PROMETHEUS" && v.GetProperty("type").GetString() == "datasource" && v.GetProperty("query").GetString() == "prometheus");

        var panels = AllPanels(root.GetProperty("panels")).ToList();
        var queryPanels = panels.Where(p => p.GetProperty("type").GetString() != "row").ToList();
        Assert.True(queryPanels.Count >= 20, $"only {queryPanels.Count} panels");
        Assert.Equal(panels.Count, panels.Select(p => p.GetProperty("id").GetInt32()).Distinct().Count());
        foreach (var panel in queryPanels)
        {
            var title = panel.GetProperty("title").GetString();
            Assert.True(panel.TryGetProperty("gridPos", out _), $"{title}: no gridPos");
            Assert.Equal("${DS_PROMETHEUS}", panel.GetProperty("datasource").GetProperty("uid").GetString());
            var targets = panel.GetProperty("targets").EnumerateArray().ToList();
            Assert.True(targets.Count > 0, $"{title}: no targets");
            Assert.All(targets, target => Assert.False(string.IsNullOrWhiteSpace(target.GetProperty("expr").GetString()), $"{title}: empty query"));
        }

        // The panels the issue names are there.
        var text = string.Join('\n', DashboardQueries());
        foreach (var needed in new[]
        {
            "salesauto_webhook_events_total", "salesauto_webhook_rejected_total", "salesauto_orphan_queue_depth",
            "salesauto_orphan_oldest_due_age_seconds", "salesauto_orphans_processed_total", "salesauto_orphans_dead_lettered_total",
            "salesauto_retry_cycles_total", "salesauto_orphan_processing_seconds_bucket", "salesauto_http_requests_total",
            "salesauto_http_request_duration_seconds_bucket", "salesauto_redis_errors_total", "salesauto_postgres_errors_total",
        })
        {
            Assert.Contains(needed, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void StatPanels_Show0_WhenNoSeriesExistYet()
    {
        // Before the first event (or on a fresh instance) the counters have no series: a stat panel
        // would read "No data", which looks like broken monitoring. `or vector(0)` makes the query
        // answer 0 and noValue covers a datasource that answers nothing at all.
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(MonitoringDirectory, "dashboard.json")));
        var stats = AllPanels(dashboard.RootElement.GetProperty("panels")).Where(p => p.GetProperty("type").GetString() == "stat").ToList();

        Assert.NotEmpty(stats);
        foreach (var panel in stats)
        {
            var title = panel.GetProperty("title").GetString();
            var noValue = panel.GetProperty("fieldConfig").GetProperty("defaults").TryGetProperty("noValue", out var value) ? value.GetString() : null;
            Assert.True(noValue == "0", $"stat panel '{title}' shows noValue '{noValue}', want \"0\"");
            foreach (var target in panel.GetProperty("targets").EnumerateArray())
            {
                var expr = target.GetProperty("expr").GetString()!;
                Assert.True(expr.TrimEnd().EndsWith("or vector(0)", StringComparison.Ordinal), $"stat panel '{title}': query '{expr}' does not end with 'or vector(0)'");
            }
        }
    }

    [Fact]
    public async Task MetricNames_ExistInTheRegistry_WhenUsedInAlertsTestsOrDashboard()
    {
        var declared = Declared(await ExportAsync());

        var used = MonitoringTexts().SelectMany(text => MetricName().Matches(text)).Select(m => m.Value).ToHashSet(StringComparer.Ordinal);

        Assert.True(used.Count >= 15, $"only {used.Count} metric names found");
        foreach (var name in used)
        {
            Assert.True(BaseMetric(name, declared) is not null, $"{name} is not declared by SalesAutoMetrics (nor a _bucket/_sum/_count of one of its histograms)");
        }

        // Every declared metric is watched somewhere: on the dashboard at least.
        var dashboard = string.Join('\n', DashboardQueries());
        Assert.All(declared.Keys, name => Assert.Contains(name, dashboard, StringComparison.Ordinal));
    }

    [Fact]
    public async Task LabelMatchers_UseDeclaredLabelsAndValues_WhenUsedInAlertsTestsOrDashboard()
    {
        var exposition = await ExportAsync();
        var declared = Declared(exposition);
        var metrics = new SalesAutoMetrics();
        var labels = typeof(SalesAutoMetrics).GetProperties()
            .Select(p => p.GetValue(metrics))
            .OfType<Collector>()
            .ToDictionary(c => c.Name, c => c.LabelNames.ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);
        var values = AllowedValues(exposition);
        var checkedMatchers = 0;

        foreach (Match selector in MonitoringTexts().SelectMany(text => Selector().Matches(text)))
        {
            var name = selector.Groups["metric"].Value;
            var metric = BaseMetric(name, declared) ?? throw new InvalidOperationException($"{name} is not declared");
            foreach (Match matcher in Matcher().Matches(selector.Groups["matchers"].Value))
            {
                var label = matcher.Groups["label"].Value;
                var op = matcher.Groups["op"].Value;
                var value = matcher.Groups["value"].Value;
                checkedMatchers++;
                if (TargetLabels.Contains(label) || (label == "le" && name.EndsWith("_bucket", StringComparison.Ordinal)))
                {
                    continue;
                }

                Assert.True(labels[metric].Contains(label), $"{selector.Value}: {metric} has no label {label}");
                if (label == "status")
                {
                    Assert.Matches("^[1-5][0-9.]{2}$", value);
                    continue;
                }

                if (label == "source")
                {
                    continue; // configured source names: an open set by design
                }

                var allowed = values.TryGetValue((metric, label), out var set) ? set : throw new InvalidOperationException($"no fixed set for {metric}.{label}");
                var alternatives = op is "=~" or "!~" ? value.Split('|') : [value];
                Assert.All(alternatives, alternative => Assert.True(allowed.Contains(alternative), $"{selector.Value}: {label}=\"{alternative}\" is not one of {string.Join(", ", allowed)}"));
            }
        }

        Assert.True(checkedMatchers >= 30, $"only {checkedMatchers} matchers checked");

        // Grouping labels (by, without, on, ignoring) exist on some metric.
        var known = labels.Values.SelectMany(l => l).Concat(TargetLabels).Append("le").ToHashSet(StringComparer.Ordinal);
        foreach (Match grouping in MonitoringTexts().SelectMany(text => Grouping().Matches(text)))
        {
            foreach (var label in grouping.Groups["labels"].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                Assert.True(known.Contains(label), $"{grouping.Value}: no metric has label {label}");
            }
        }
    }

    [Fact]
    public void AlertRules_HaveForSeverityAndRunbook_WhenDeclared()
    {
        var alerts = AlertBlocks();
        var anchors = HeadingAnchors(OperationsDoc());

        Assert.True(alerts.Count >= 15, $"only {alerts.Count} alerts");
        Assert.Equal(alerts.Count, alerts.Select(a => a.Name).Distinct().Count());
        foreach (var (name, block) in alerts)
        {
            Assert.Matches(@"\n\s+expr: ", block);
            Assert.Matches(@"\n\s+for: \d+[smh]\n", block);
            Assert.Matches(@"\n\s+severity: (critical|warning)\n", block);
            Assert.Matches(@"\n\s+summary: "".+""\n", block);
            Assert.Matches(@"\n\s+description: "".+""\n", block);
            var runbook = Regex.Match(block, @"\n\s+runbook_url: ""docs/operations\.md#(?<anchor>[a-z0-9-]+)""");
            Assert.True(runbook.Success, $"{name}: no runbook_url into docs/operations.md");
            Assert.Equal(name.ToLowerInvariant(), runbook.Groups["anchor"].Value);
            Assert.True(anchors.Contains(runbook.Groups["anchor"].Value), $"{name}: docs/operations.md has no heading #{runbook.Groups["anchor"].Value}");
        }

        // Every alert has a promtool unit test that expects it to fire.
        var tests = File.ReadAllText(Path.Combine(MonitoringDirectory, "alerts.test.yml"));
        foreach (var (name, _) in alerts)
        {
            Assert.True(Regex.IsMatch(tests, $@"alertname: {name}\n\s+exp_alerts:\n\s+- exp_labels"), $"{name}: no test in alerts.test.yml expects it to fire");
        }
    }

    [Fact]
    public async Task OperationsDoc_ExplainsEveryMetricAndAlert_WhenRead()
    {
        var doc = OperationsDoc();
        var anchors = HeadingAnchors(doc);

        foreach (var name in Declared(await ExportAsync()).Keys)
        {
            Assert.True(doc.Contains($"`{name}", StringComparison.Ordinal), $"docs/operations.md does not describe {name}");
        }

        foreach (var (name, _) in AlertBlocks())
        {
            Assert.True(anchors.Contains(name.ToLowerInvariant()), $"docs/operations.md has no section for {name}");
        }

        // Links inside the document resolve.
        foreach (Match link in Regex.Matches(doc, @"\]\(#(?<anchor>[^)]+)\)"))
        {
            Assert.True(anchors.Contains(link.Groups["anchor"].Value), $"docs/operations.md links to a missing #{link.Groups["anchor"].Value}");
        }
    }

    // What a scrape of a fresh registry reads.
    private static async Task<string> ExportAsync()
    {
        using var stream = new MemoryStream();
        await new SalesAutoMetrics().Registry.CollectAndExportAsTextAsync(stream, TestContext.Token);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    // The metric names and types of an exposition, read from its "# TYPE" and "# HELP" lines.
    private static Dictionary<string, string> Declared(string text)
    {
        var declared = TypeLine().Matches(text).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["type"].Value, StringComparer.Ordinal);
        Assert.Equal(declared.Count, HelpLine().Matches(text).Count);
        Assert.True(declared.Count >= 16, $"only {declared.Count} metrics exported");
        return declared;
    }

    // The metric a used name stands for: itself, or the histogram a _bucket, _sum or _count series belongs to.
    private static string? BaseMetric(string name, Dictionary<string, string> declared)
    {
        if (declared.ContainsKey(name))
        {
            return name;
        }

        foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
        {
            if (name.EndsWith(suffix, StringComparison.Ordinal) && declared.TryGetValue(name[..^suffix.Length], out var type) && type == "histogram")
            {
                return name[..^suffix.Length];
            }
        }

        return null;
    }

    // The fixed label sets of SalesAutoMetrics, plus the pre-created series of a fresh registry (state="due").
    private static Dictionary<(string Metric, string Label), HashSet<string>> AllowedValues(string exposition)
    {
        var routes = Routes.All.Select(r => $"/{Routes.Prefix}/{r.Template}").Append("unmatched");
        return new()
        {
            [("salesauto_webhook_events_total", "outcome")] = [.. SalesAutoMetrics.EventOutcomes],
            [("salesauto_webhook_rejected_total", "reason")] = [.. SalesAutoMetrics.RejectReasons],
            [("salesauto_orphans_processed_total", "outcome")] = [.. SalesAutoMetrics.OrphanOutcomes],
            [("salesauto_retry_cycles_total", "result")] = [.. SalesAutoMetrics.CycleResults],
            [("salesauto_orphan_queue_depth", "state")] = PreCreatedValues(exposition, "salesauto_orphan_queue_depth", "state"),
            [("salesauto_circuit_state", "dependency")] = [.. SalesAutoMetrics.Dependencies],
            [("salesauto_circuit_transitions_total", "dependency")] = [.. SalesAutoMetrics.Dependencies],
            [("salesauto_circuit_transitions_total", "state")] = [.. SalesAutoMetrics.CircuitStates],
            [("salesauto_http_requests_total", "route")] = [.. routes],
            [("salesauto_http_request_duration_seconds", "route")] = [.. routes],
            [("salesauto_http_requests_total", "method")] = [.. Routes.All.Select(r => r.Method)],
            [("salesauto_http_request_duration_seconds", "method")] = [.. Routes.All.Select(r => r.Method)],
        };
    }

    private static HashSet<string> PreCreatedValues(string exposition, string metric, string label)
    {
        var values = Regex.Matches(exposition, $@"^{metric}\{{{label}=""(?<value>[^""]+)""\}}", RegexOptions.Multiline)
            .Select(m => m.Groups["value"].Value)
            .ToHashSet(StringComparer.Ordinal);
        Assert.NotEmpty(values);
        return values;
    }

    // The texts whose selectors are checked: the rules, the rule tests' series, the dashboard's queries.
    private static IEnumerable<string> MonitoringTexts() =>
    [
        File.ReadAllText(Path.Combine(MonitoringDirectory, "alerts.yml")),
        File.ReadAllText(Path.Combine(MonitoringDirectory, "alerts.test.yml")),
        .. DashboardQueries(),
        .. DashboardVariableQueries(),
    ];

    private static List<string> DashboardQueries()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(MonitoringDirectory, "dashboard.json")));
        return AllPanels(dashboard.RootElement.GetProperty("panels"))
            .Where(p => p.TryGetProperty("targets", out _))
            .SelectMany(p => p.GetProperty("targets").EnumerateArray())
            .Select(t => t.GetProperty("expr").GetString() ?? string.Empty)
            .ToList();
    }

    private static List<string> DashboardVariableQueries()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(MonitoringDirectory, "dashboard.json")));
        return dashboard.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray()
            .Where(v => v.TryGetProperty("definition", out _))
            .Select(v => v.GetProperty("definition").GetString() ?? string.Empty)
            .ToList();
    }

    // Panels, including those nested in collapsed rows.
    private static IEnumerable<JsonElement> AllPanels(JsonElement panels)
    {
        foreach (var panel in panels.EnumerateArray())
        {
            yield return panel.Clone();
            if (panel.TryGetProperty("panels", out var nested))
            {
                foreach (var inner in AllPanels(nested))
                {
                    yield return inner;
                }
            }
        }
    }

    // Each "- alert:" rule of alerts.yml with its text, up to the next rule or group.
    private static List<(string Name, string Block)> AlertBlocks()
    {
        var text = File.ReadAllText(Path.Combine(MonitoringDirectory, "alerts.yml"));
        var starts = AlertStart().Matches(text).ToList();
        return starts.Select((m, i) =>
        {
            var end = i + 1 < starts.Count ? starts[i + 1].Index : text.Length;
            var block = text[m.Index..end];
            var nextGroup = block.IndexOf("\n  - name:", StringComparison.Ordinal);
            return (m.Groups["name"].Value, nextGroup < 0 ? block : block[..nextGroup] + "\n");
        }).ToList();
    }

    // docs/operations.md is not copied to the output: found from the repository root above it.
    private static string OperationsDoc()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var path = Path.Combine(directory.FullName, "docs", "operations.md");
            if (File.Exists(path) && File.Exists(Path.Combine(directory.FullName, "global.json")))
            {
                return File.ReadAllText(path);
            }
        }

        throw new FileNotFoundException("docs/operations.md was not found above " + AppContext.BaseDirectory);
    }

    // GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens.
    private static HashSet<string> HeadingAnchors(string markdown) =>
        Heading().Matches(markdown)
            .Select(m => Regex.Replace(m.Groups["title"].Value.Trim().ToLowerInvariant(), @"[^a-z0-9 _-]", string.Empty).Replace(' ', '-'))
            .ToHashSet(StringComparer.Ordinal);

    [GeneratedRegex(@"\bsalesauto_[a-z0-9_]*[a-z0-9]")]
    private static partial Regex MetricName();

    [GeneratedRegex(@"(?<metric>\bsalesauto_[a-z0-9_]*[a-z0-9])\s*\{(?<matchers>(?:\s*[a-zA-Z_]\w*\s*(?:=~|!~|!=|=)\s*""(?:[^""\\]|\\.)*""\s*,?)*)\s*\}")]
    private static partial Regex Selector();

    [GeneratedRegex(@"(?<label>[a-zA-Z_]\w*)\s*(?<op>=~|!~|!=|=)\s*""(?<value>(?:[^""\\]|\\.)*)""")]
    private static partial Regex Matcher();

    [GeneratedRegex(@"\b(?:by|without|on|ignoring)\s*\((?<labels>[^)]*)\)")]
    private static partial Regex Grouping();

    [GeneratedRegex(@"^# TYPE (?<name>\S+) (?<type>\S+)$", RegexOptions.Multiline)]
    private static partial Regex TypeLine();

    [GeneratedRegex(@"^# HELP (?<name>\S+) ", RegexOptions.Multiline)]
    private static partial Regex HelpLine();

    [GeneratedRegex(@"^\s*- alert: (?<name>\w+)\s*$", RegexOptions.Multiline)]
    private static partial Regex AlertStart();

    [GeneratedRegex(@"^#{1,6} (?<title>.+)$", RegexOptions.Multiline)]
    private static partial Regex Heading();
}
