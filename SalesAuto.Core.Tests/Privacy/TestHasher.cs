using SalesAuto.Core.Privacy;
using SalesAuto.Core.Tests.Infrastructure;

namespace SalesAuto.Core.Tests.Privacy;

/// <summary>The hasher of the test settings (<see cref="RunningServer.PrivacyHashKey"/>), for services built without a host.</summary>
internal static class TestHasher
{
    public static PrivacyHasher Instance { get; } = Create(RunningServer.PrivacyHashKey);

    public static PrivacyHasher Create(params string[] keys) =>
        new(Microsoft.Extensions.Options.Options.Create(new PrivacyOptions { HashKeys = [.. keys] }));
}
