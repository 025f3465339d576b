using System.Collections.Concurrent;
using System.Diagnostics;

namespace SalesAuto.Core.Tests.Infrastructure;

/// <summary>
/// Counts the Postgres commands a piece of code sends, from Npgsql's own tracing: every command is
/// an Activity of the "Npgsql" source, a child of the Activity current when it ran. A root per
/// counter keeps tests running in parallel out of each other's count.
/// </summary>
public sealed class RoundTripCounter : IDisposable
{
    private static readonly ActivitySource Source = new("SalesAuto.Tests.RoundTrips");
    private readonly ActivityListener _listener;
    private readonly ConcurrentBag<string> _commands = [];
    private readonly Activity _root;

    public RoundTripCounter()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "Npgsql" or "SalesAuto.Tests.RoundTrips",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.Source.Name == "Npgsql" && activity.TraceId == _root?.TraceId)
                {
                    _commands.Add(activity.DisplayName);
                }
            },
        };
        ActivitySource.AddActivityListener(_listener);
        _root = Source.StartActivity("count")!;
    }

    public int Count => _commands.Count;

    public void Dispose()
    {
        _root.Dispose();
        _listener.Dispose();
    }
}
