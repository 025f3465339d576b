using System.Text.RegularExpressions;
using SalesAuto.Core.Webhooks;
using SalesAuto.Core.Webhooks.Sources;

namespace SalesAuto.Core.Tests.Webhooks;

/// <summary>docs/webhooks.md's mapping table and the sources' <see cref="WebhookSource.TypeMap"/> say the same, row for row.</summary>
public sealed partial class EventTypesDocumentationTests
{
    [Fact]
    public void MappingTable_ListsExactlyTheMappingsOfEventTypes()
    {
        var documented = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "repo", "docs", "webhooks.md"))
            .Select(line => MappingRow().Match(line))
            .Where(match => match.Success)
            .Select(match => (Provider: match.Groups[1].Value, From: match.Groups[2].Value, To: match.Groups[3].Value))
            .ToList();

        var mapped = WebhookSources.All
            .SelectMany(source => source.TypeMap.Select(m => (Provider: source.Kind.ToString(), From: m.Key, To: m.Value)))
            .ToList();

        Assert.Equal(mapped.Order(), documented.Order());
    }

    [Fact]
    public void Documentation_NamesEveryCanonicalType()
    {
        var text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "repo", "docs", "webhooks.md"));

        Assert.All(EventTypes.All, type => Assert.Contains($"`{type}`", text, StringComparison.Ordinal));
    }

    // | HubSpot | `contact.creation` | `contact.created` | (any provider: a new source's rows count too)
    [GeneratedRegex(@"^\|\s*(\w+)\s*\|\s*`([^`]+)`\s*\|\s*`([^`]+)`\s*\|\s*$")]
    private static partial Regex MappingRow();
}
