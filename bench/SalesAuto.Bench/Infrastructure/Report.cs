using System.Globalization;
using System.Text;

namespace SalesAuto.Bench.Infrastructure;

/// <summary>
/// One benchmark's result as Markdown: a heading with the date, the exact command, the machine, the
/// sizes, one or more tables (goals beside the figures) and notes. Printed, and appended to
/// docs/benchmarks.md when <c>--report</c> names it.
/// </summary>
internal sealed class Report(string title, string command)
{
    private readonly List<string> _sizes = [];
    private readonly List<(string Caption, string[] Header, List<string[]> Rows)> _tables = [];
    private readonly List<string> _notes = [];

    public void Size(string text) => _sizes.Add(text);

    public void Note(string text) => _notes.Add(text);

    public List<string[]> Table(string caption, params string[] header)
    {
        var rows = new List<string[]>();
        _tables.Add((caption, header, rows));
        return rows;
    }

    public string ToMarkdown(Machine machine)
    {
        ArgumentNullException.ThrowIfNull(machine);
        var text = new StringBuilder();
        var now = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
        text.Append(CultureInfo.InvariantCulture, $"### {title}, {now}\n\n");
        text.Append(CultureInfo.InvariantCulture, $"- Command: `{command}`\n");
        text.Append(CultureInfo.InvariantCulture, $"- Machine: {machine.Describe()}\n");
        foreach (var size in _sizes)
        {
            text.Append(CultureInfo.InvariantCulture, $"- {size}\n");
        }

        foreach (var (caption, header, rows) in _tables)
        {
            text.Append('\n');
            if (caption.Length > 0)
            {
                text.Append(caption).Append("\n\n");
            }

            text.Append("| ").AppendJoin(" | ", header).Append(" |\n");
            text.Append('|').AppendJoin('|', header.Select(_ => " --- ")).Append("|\n");
            foreach (var row in rows)
            {
                text.Append("| ").AppendJoin(" | ", row).Append(" |\n");
            }
        }

        if (_notes.Count > 0)
        {
            text.Append('\n');
            foreach (var note in _notes)
            {
                text.Append(CultureInfo.InvariantCulture, $"- {note}\n");
            }
        }

        return text.Append('\n').ToString();
    }

    /// <summary>Prints the report and appends it to <paramref name="path"/> (when given) under its results heading.</summary>
    public async Task PublishAsync(Machine machine, string? path)
    {
        var markdown = ToMarkdown(machine);
        Console.WriteLine();
        Console.Write(markdown);
        if (path is null)
        {
            return;
        }

        if (!File.Exists(path))
        {
            await File.WriteAllTextAsync(path, "# Benchmarks\n\n## Results\n\n");
        }

        var existing = await File.ReadAllTextAsync(path);
        var separator = existing.EndsWith("\n\n", StringComparison.Ordinal) ? string.Empty : existing.EndsWith('\n') ? "\n" : "\n\n";
        await File.AppendAllTextAsync(path, separator + markdown.TrimEnd('\n') + "\n");
        Console.WriteLine($"appended to {path}");
    }
}
