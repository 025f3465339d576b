using SalesAuto.Core.Events;

namespace SalesAuto.Core.Webhooks;

/// <summary>
/// The outcome of <see cref="WebhookParser.Parse"/>: the canonical events of the body, or one sentence
/// naming what is wrong (for a 400 answer). An error names fields and positions, never a value.
/// </summary>
internal sealed class ParseResult
{
    private ParseResult(IReadOnlyList<CanonicalEvent> events, string? error)
    {
        Events = events;
        Error = error;
    }

    /// <summary>True when the body parsed; <see cref="Events"/> then holds at least one event.</summary>
    public bool Succeeded => Error is null;

    /// <summary>The events in body order; empty when parsing failed.</summary>
    public IReadOnlyList<CanonicalEvent> Events { get; }

    /// <summary>What is wrong, e.g. <c>element 3: 'occurredAt' must be a Unix millisecond timestamp</c>; null on success.</summary>
    public string? Error { get; }

    /// <summary>A parsed body.</summary>
    public static ParseResult Success(IReadOnlyList<CanonicalEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        return new ParseResult(events, null);
    }

    /// <summary>A body that cannot be accepted.</summary>
    public static ParseResult Failure(string error)
    {
        ArgumentException.ThrowIfNullOrEmpty(error);
        return new ParseResult([], error);
    }

    /// <inheritdoc />
    public override string ToString() => Succeeded ? $"Success({Events.Count} events)" : $"Failure({Error})";
}
