namespace SalesAuto.Core.Tests.Foundation;

/// <summary>The README and docs/ say only what is true about where things are and how they build.</summary>
public sealed class DocumentationTests
{
    private static readonly string Root = Path.Combine(AppContext.BaseDirectory, "repo");

    public static TheoryData<string> Documents()
    {
        var data = new TheoryData<string> { "README.md" };
        foreach (var file in Directory.GetFiles(Path.Combine(Root, "docs"), "*.md").Order(StringComparer.Ordinal))
        {
            data.Add(Path.Combine("docs", Path.GetFileName(file)));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Documents))]
    public void Document_NamesTheDesignContractByItsPath(string document)
    {
        // The contract's copy in the repository is docs/design.md; there is no DESIGN.md to follow.
        var lines = File.ReadAllLines(Path.Combine(Root, document))
            .Select((text, index) => (text, number: index + 1))
            .Where(line => line.text.Contains("DESIGN.md", StringComparison.Ordinal))
            .Select(line => $"{document}:{line.number}: {line.text.Trim()}")
            .ToList();

        Assert.True(lines.Count == 0, $"'DESIGN.md' is named where docs/design.md is meant:\n{string.Join('\n', lines)}");
    }

    [Fact]
    public void Readme_DoesNotSayTheSolutionBuildFailsWithNU1101()
    {
        // The Functions worker packages are served since 2026-12-01 (docs/design.md): the whole solution builds.
        var readme = File.ReadAllText(Path.Combine(Root, "README.md"));

        Assert.DoesNotContain("NU1101", readme, StringComparison.Ordinal);
        Assert.Contains("dotnet build SalesAuto.sln", readme, StringComparison.Ordinal);
    }
}
