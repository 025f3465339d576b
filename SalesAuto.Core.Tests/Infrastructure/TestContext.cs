namespace SalesAuto.Core.Tests.Infrastructure;

/// <summary>The cancellation token every async call in a test gets: a test that hangs is cancelled, not left running.</summary>
public static class TestContext
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    public static CancellationToken Token => new CancellationTokenSource(Limit).Token;
}
