using Azure.Core;

namespace SalesAuto.Core.Tests.Identity;

/// <summary>
/// A TokenCredential that hands out whatever <see cref="Token"/> holds (a local password stands in
/// for an Entra ID token) and records the scopes it was asked for.
/// </summary>
internal sealed class FakeTokenCredential(string token) : TokenCredential
{
    private readonly Lock _gate = new();
    private readonly List<string> _scopes = [];

    public string Token { get; set; } = token;

    public TimeSpan Lifetime { get; set; } = TimeSpan.FromHours(1);

    public IReadOnlyList<string> Scopes
    {
        get
        {
            lock (_gate)
            {
                return [.. _scopes];
            }
        }
    }

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _scopes.AddRange(requestContext.Scopes);
        }

        return new AccessToken(Token, DateTimeOffset.UtcNow + Lifetime);
    }

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        ValueTask.FromResult(GetToken(requestContext, cancellationToken));
}
