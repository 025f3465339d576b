using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SalesAuto.Core.Observability;
using SalesAuto.Core.Resilience;

namespace SalesAuto.Core.Tests.Infrastructure;

/// <summary>The dependency guards with the default settings, for a Core class a test builds by hand.</summary>
internal static class TestCircuits
{
    public static DependencyCircuits Create(SalesAutoMetrics? metrics = null) =>
        new(Options.Create(new ResilienceOptions()), metrics ?? new SalesAutoMetrics(), NullLoggerFactory.Instance, TimeProvider.System);
}
