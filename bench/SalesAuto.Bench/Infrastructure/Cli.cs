using System.Globalization;

namespace SalesAuto.Bench.Infrastructure;

/// <summary>The command line: a benchmark name, then <c>--name value</c> pairs. Every size is one of them.</summary>
internal sealed class Cli
{
    private readonly Dictionary<string, string> _values = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _read = new(StringComparer.OrdinalIgnoreCase);

    public Cli(string[] args)
    {
        Command = args.Length > 0 ? args[0] : "help";
        for (var i = 1; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"Expected '--name value' pairs after the benchmark name; got '{args[i]}'.");
            }

            _values[args[i][2..]] = args[++i];
        }
    }

    public string Command { get; }

    public string String(string name, string fallback)
    {
        _read.Add(name);
        return _values.TryGetValue(name, out var value) ? value : fallback;
    }

    public string? OptionalString(string name)
    {
        _read.Add(name);
        return _values.GetValueOrDefault(name);
    }

    public int Int(string name, int fallback) => int.Parse(String(name, fallback.ToString(CultureInfo.InvariantCulture)).Replace("_", string.Empty, StringComparison.Ordinal), CultureInfo.InvariantCulture);

    public int[] Ints(string name, string fallback) =>
        [.. String(name, fallback).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(v => int.Parse(v.Replace("_", string.Empty, StringComparison.Ordinal), CultureInfo.InvariantCulture))];

    /// <summary>A duration as <c>500ms</c>, <c>20s</c>, <c>10m</c> or a TimeSpan (<c>00:00:20</c>).</summary>
    public TimeSpan Duration(string name, string fallback) => ParseDuration(String(name, fallback));

    /// <summary>Fails on an option no benchmark read: a typo must not silently run the default.</summary>
    public void RejectUnknown()
    {
        var unknown = _values.Keys.Where(k => !_read.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            throw new ArgumentException($"Unknown option(s) for '{Command}': {string.Join(", ", unknown.Select(u => "--" + u))}.");
        }
    }

    public static TimeSpan ParseDuration(string text)
    {
        if (text.EndsWith("ms", StringComparison.Ordinal))
        {
            return TimeSpan.FromMilliseconds(double.Parse(text[..^2], CultureInfo.InvariantCulture));
        }

        return text[^1] switch
        {
            's' => TimeSpan.FromSeconds(double.Parse(text[..^1], CultureInfo.InvariantCulture)),
            'm' => TimeSpan.FromMinutes(double.Parse(text[..^1], CultureInfo.InvariantCulture)),
            'h' => TimeSpan.FromHours(double.Parse(text[..^1], CultureInfo.InvariantCulture)),
            _ => TimeSpan.Parse(text, CultureInfo.InvariantCulture),
        };
    }
}
