namespace SalesAuto.Core.Observability;

/// <summary>One reading of the retry queue and the dead letters. A null is a dependency that could not be read.</summary>
/// <param name="At">When it was read.</param>
/// <param name="Due">Orphans waiting in the due set (due now or later).</param>
/// <param name="Leased">Orphans claimed by a running cycle.</param>
/// <param name="OldestDueAgeSeconds">How long the oldest due orphan has been due, in seconds (0 when none is).</param>
/// <param name="UnresolvedDeadLetters">Dead letters <c>failed</c> or <c>replaying</c>.</param>
public sealed record QueueSample(DateTimeOffset At, long? Due, long? Leased, double? OldestDueAgeSeconds, long? UnresolvedDeadLetters);

/// <summary>
/// The last hour of <see cref="QueueSample"/>s of this instance, in memory, for the console's
/// chart: one sample per <see cref="Interval"/> at most (the retry cycle and the console's own
/// requests offer one on every refresh), <see cref="Capacity"/> kept, older ones dropped. It is
/// per instance and starts empty when the process does; the console asks for a fresh reading
/// first, so it always has at least the current sample.
/// </summary>
public sealed class QueueHistory(TimeProvider time)
{
    /// <summary>The least time between two kept samples.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);

    /// <summary>How far back the history reaches.</summary>
    public static readonly TimeSpan Span = TimeSpan.FromHours(1);

    /// <summary>How many samples fit: one hour at one per interval, plus the current one.</summary>
    public static readonly int Capacity = (int)(Span / Interval) + 1;

    private readonly QueueSample?[] _ring = new QueueSample?[Capacity];
    private readonly Lock _lock = new();
    private int _next;
    private QueueSample? _latest;

    /// <summary>The most recent reading, kept or not; null before the first.</summary>
    public QueueSample? Latest
    {
        get
        {
            lock (_lock)
            {
                return _latest;
            }
        }
    }

    /// <summary>Offers a reading: always the new <see cref="Latest"/>, kept in the history when the last kept one is at least <see cref="Interval"/> older.</summary>
    public void Record(QueueSample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        lock (_lock)
        {
            _latest = sample;
            var previous = _ring[(_next + Capacity - 1) % Capacity];
            if (previous is not null && sample.At - previous.At < Interval)
            {
                return;
            }

            _ring[_next] = sample;
            _next = (_next + 1) % Capacity;
        }
    }

    /// <summary>The kept samples of the last <see cref="Span"/>, oldest first, then <see cref="Latest"/> when it was not kept.</summary>
    public IReadOnlyList<QueueSample> Samples()
    {
        var cutoff = time.GetUtcNow() - Span;
        lock (_lock)
        {
            var samples = new List<QueueSample>(Capacity + 1);
            for (var i = 0; i < Capacity; i++)
            {
                if (_ring[(_next + i) % Capacity] is { } sample && sample.At >= cutoff)
                {
                    samples.Add(sample);
                }
            }

            if (_latest is not null && (samples.Count == 0 || !ReferenceEquals(samples[^1], _latest)))
            {
                samples.Add(_latest);
            }

            return samples;
        }
    }
}
