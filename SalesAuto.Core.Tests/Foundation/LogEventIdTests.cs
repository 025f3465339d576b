using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace SalesAuto.Core.Tests.Foundation;

/// <summary>
/// Operators filter logs by event id (docs/operations.md), so every <c>[LoggerMessage]</c> of Core
/// and the two hosts has an id of its own, inside the range its area's <c>Log.cs</c> header gives,
/// and the operations guide lists every range.
/// </summary>
public sealed partial class LogEventIdTests
{
    // Each area's range as its Log.cs header states it. A namespace that logs and is not here fails
    // the range test: give a new area its range (here, in its Log.cs and in docs/operations.md) first.
    private static readonly (string Namespace, int From, int To)[] Areas =
    [
        ("SalesAuto.Core.Postgres", 1000, 1999),
        ("SalesAuto.Core.Redis", 2000, 2999),
        ("SalesAuto.Core.RetryQueue", 3000, 3999),
        ("SalesAuto.Core.Webhooks", 4500, 4599),
        ("SalesAuto.Core.Enrollments", 5000, 5099),
        ("SalesAuto.Core.RetryQueue", 6000, 6999),
        ("SalesAuto.Core.DeadLetters", 7000, 7099),
        ("SalesAuto.Core.Audit", 7100, 7199),
        ("SalesAuto.Core.Privacy", 8000, 8099),
        ("SalesAuto.Core.Resilience", 8500, 8599),
        ("SalesAuto.Core.Http", 9000, 9099),
        ("SalesAuto.Server", 9100, 9199),
        ("SalesAuto.Functions", 9100, 9199),
    ];

    private static readonly string[] Assemblies = ["SalesAuto.Core", "SalesAuto.Server", "SalesAuto.Functions"];

    [Fact]
    public void EventIds_AreUnique_AcrossCoreAndBothHosts()
    {
        var duplicates = LogMethods()
            .GroupBy(m => m.EventId)
            .Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(m => m.Name))}")
            .ToList();

        Assert.True(duplicates.Count == 0, $"event ids used more than once:\n{string.Join('\n', duplicates)}");
    }

    [Fact]
    public void EventIds_FallInsideTheirAreasRange()
    {
        var outside = LogMethods()
            .Where(m => !Areas.Any(a => InNamespace(m.Namespace, a.Namespace) && m.EventId >= a.From && m.EventId <= a.To))
            .Select(m => $"{m.Name}: {m.EventId}, outside every range of {m.Namespace}")
            .ToList();

        Assert.True(outside.Count == 0, string.Join('\n', outside));
    }

    [Fact]
    public void LogMethods_AreFound_InEveryAssemblyThatLogs()
    {
        // Guards the two tests above against passing on nothing (a renamed assembly, a changed attribute).
        var methods = LogMethods();

        Assert.Contains(methods, m => m.Namespace == "SalesAuto.Core.Privacy" && m.EventId == 8001);
        Assert.Contains(methods, m => m.Namespace == "SalesAuto.Core.Resilience" && m.EventId == 8501);
        Assert.Contains(methods, m => m.Namespace == "SalesAuto.Server" && m.EventId == 9101);
    }

    [Fact]
    public void OperationsGuide_ListsEveryAreasRange()
    {
        var guide = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "repo", "docs", "operations.md"));
        var rows = TableRow().Matches(guide)
            .Select(m => (From: int.Parse(m.Groups["from"].Value, CultureInfo.InvariantCulture), To: int.Parse(m.Groups["to"].Value, CultureInfo.InvariantCulture)))
            .ToList();

        Assert.NotEmpty(rows);
        var missing = Areas
            .Where(a => !rows.Any(r => r.From <= a.From && a.To <= r.To))
            .Select(a => $"{a.Namespace} {a.From}-{a.To}")
            .ToList();
        Assert.True(missing.Count == 0, $"docs/operations.md's event id table has no row for:\n{string.Join('\n', missing)}");
    }

    private static bool InNamespace(string? actual, string area) =>
        actual is not null && (actual == area || actual.StartsWith(area + ".", StringComparison.Ordinal));

    private static List<(string Name, string? Namespace, int EventId)> LogMethods() =>
        Assemblies
            .Select(name => Assembly.Load(new AssemblyName(name)))
            .SelectMany(assembly => assembly.GetTypes())
            .SelectMany(type => type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Select(method => (method, attribute: method.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(m => m.attribute is not null)
            .Select(m => ($"{m.method.DeclaringType!.FullName}.{m.method.Name}", m.method.DeclaringType!.Namespace, m.attribute!.EventId))
            .ToList();

    // A row of the "Event ids by area" table: "| 8000–8099 | privacy: ... |" (an en dash).
    [GeneratedRegex(@"^\| (?<from>\d{4})–(?<to>\d{4}) \|", RegexOptions.Multiline)]
    private static partial Regex TableRow();
}
