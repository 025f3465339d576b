using System.Text;
using System.Text.Json;
using Azure.Core;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace SalesAuto.Core.Redis;

/// <summary>
/// Signs the Redis connections in with Entra ID tokens of the app's managed identity
/// (<c>Redis:Authentication</c> = <c>ManagedIdentity</c>) and keeps them signed in: before a token
/// expires it fetches the next one, puts it in the client configuration (every reconnect signs in
/// with it) and sends <c>AUTH</c> with it on every connected server, as Azure Managed Redis requires
/// of a long-lived connection. Microsoft.Azure.StackExchangeRedis does the same; it is not served by
/// this project's package feed.
/// </summary>
internal sealed class RedisTokenAuthenticator : IDisposable
{
    /// <summary>The Entra ID scope of Azure Managed Redis and Azure Cache for Redis tokens.</summary>
    public const string Scope = "https://redis.azure.com/.default";

    /// <summary>How soon a failed refresh is tried again.</summary>
    public static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(15);

    private readonly TokenCredential _credential;
    private readonly string? _user;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private ConfigurationOptions? _configuration;
    private IConnectionMultiplexer? _multiplexer;
    private ITimer? _timer;
    private DateTimeOffset _expiresOn;
    private bool _disposed;

    /// <summary>Creates an authenticator; <paramref name="user"/> empty: the token's <c>oid</c> claim.</summary>
    public RedisTokenAuthenticator(TokenCredential credential, string? user, ILogger logger, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(credential);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(time);
        _credential = credential;
        _user = string.IsNullOrWhiteSpace(user) ? null : user.Trim();
        _logger = logger;
        _time = time;
    }

    /// <summary>Puts a first token (and its user) into <paramref name="configuration"/>, before connecting.</summary>
    public void Authenticate(ConfigurationOptions configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        // Synchronous because the multiplexer is created by a synchronous DI factory, once per process.
        var token = _credential.GetToken(new TokenRequestContext([Scope]), CancellationToken.None);
        lock (_gate)
        {
            _configuration = configuration;
            Apply(token);
        }
    }

    /// <summary>Starts renewing the token of <paramref name="multiplexer"/>'s connections ahead of expiry.</summary>
    public void Start(IConnectionMultiplexer multiplexer)
    {
        ArgumentNullException.ThrowIfNull(multiplexer);
        lock (_gate)
        {
            if (_configuration is null)
            {
                throw new InvalidOperationException("Authenticate the configuration before starting the refresh.");
            }

            ObjectDisposedException.ThrowIf(_disposed, this);
            _multiplexer = multiplexer;
            _timer ??= _time.CreateTimer(_ => _ = RefreshOnTimerAsync(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _timer.Change(RefreshDelay(_expiresOn, _time.GetUtcNow()), Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>
    /// Fetches a token now, makes it the configuration's password and signs every connected server
    /// in with it. False when the token could not be fetched or a server refused it (logged).
    /// </summary>
    public async Task<bool> RefreshAsync(CancellationToken cancellationToken)
    {
        IConnectionMultiplexer? multiplexer;
        AccessToken token;
        try
        {
            token = await _credential.GetTokenAsync(new TokenRequestContext([Scope]), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Log.TokenFetchFailed(_logger, e);
            return false;
        }

        string user;
        lock (_gate)
        {
            if (_configuration is null)
            {
                throw new InvalidOperationException("Authenticate the configuration before refreshing it.");
            }

            user = Apply(token);
            multiplexer = _multiplexer;
        }

        if (multiplexer is null)
        {
            return true;
        }

        var succeeded = true;
        foreach (var endPoint in multiplexer.GetEndPoints())
        {
            var server = multiplexer.GetServer(endPoint);
            if (!server.IsConnected)
            {
                continue; // it signs in with the new token when it reconnects
            }

            try
            {
                await server.ExecuteAsync("AUTH", user, token.Token).WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                Log.ReauthenticationFailed(_logger, endPoint.ToString() ?? "?", e);
                succeeded = false;
            }
        }

        return succeeded;
    }

    /// <summary>When to renew a token expiring at <paramref name="expiresOn"/>: at 75% of its remaining life, between 1 and 30 minutes from now.</summary>
    public static TimeSpan RefreshDelay(DateTimeOffset expiresOn, DateTimeOffset now)
    {
        var remaining = expiresOn - now;
        var delay = remaining * 0.75;
        return delay < TimeSpan.FromMinutes(1) ? TimeSpan.FromMinutes(1)
            : delay > TimeSpan.FromMinutes(30) ? TimeSpan.FromMinutes(30)
            : delay;
    }

    /// <summary>The <c>oid</c> claim of a JWT access token, or null when it has none.</summary>
    public static string? ObjectIdOf(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return null;
        }

        try
        {
            var payload = parts[1].Replace('-', '+').Replace('_', '/');
            payload = payload.PadRight(payload.Length + ((4 - (payload.Length % 4)) % 4), '=');
            using var claims = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(payload)));
            return claims.RootElement.ValueKind == JsonValueKind.Object
                && claims.RootElement.TryGetProperty("oid", out var oid)
                && oid.ValueKind == JsonValueKind.String
                ? oid.GetString()
                : null;
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return null;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _timer?.Dispose();
            _timer = null;
        }
    }

    // Caller holds _gate.
    private string Apply(AccessToken token)
    {
        var user = _user ?? ObjectIdOf(token.Token)
            ?? throw new InvalidOperationException("Redis:User is required with Redis:Authentication ManagedIdentity when the token carries no oid claim.");
        _configuration!.User = user;
        _configuration.Password = token.Token;
        _expiresOn = token.ExpiresOn;
        return user;
    }

    private async Task RefreshOnTimerAsync()
    {
        var succeeded = false;
        try
        {
            succeeded = await RefreshAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // A timer callback has no caller to throw to: log, and try again soon.
            Log.TokenFetchFailed(_logger, e);
        }

        lock (_gate)
        {
            if (!_disposed)
            {
                _timer?.Change(succeeded ? RefreshDelay(_expiresOn, _time.GetUtcNow()) : RetryDelay, Timeout.InfiniteTimeSpan);
            }
        }
    }
}
