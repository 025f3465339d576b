using Microsoft.Extensions.Logging;

namespace SalesAuto.Core.Redis;

// Redis: event ids 2000-2999, every one of the area here so the ids stay stable and unique:
// 2001-2009 the connection (RedisConnectionFactory: lost, restored) and its managed-identity
// sign-in (RedisTokenAuthenticator: token fetch, re-authentication). The retry queue's own Redis
// commands log under the retry queue (3000-3999). End points are logged; tokens and passwords never.
internal static partial class Log
{
    // 2001-2002: the connection.
    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Redis connection to {EndPoint} failed: {FailureType}")]
    public static partial void ConnectionFailed(ILogger logger, string endPoint, string failureType);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Redis connection to {EndPoint} restored")]
    public static partial void ConnectionRestored(ILogger logger, string endPoint);

    // 2003-2004: the Entra ID token (Redis:Authentication = ManagedIdentity).
    [LoggerMessage(EventId = 2003, Level = LogLevel.Error, Message = "Could not get an Entra ID token for Redis; the current one is kept and the fetch retried")]
    public static partial void TokenFetchFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Error, Message = "Redis at {EndPoint} refused the renewed Entra ID token")]
    public static partial void ReauthenticationFailed(ILogger logger, string endPoint, Exception exception);
}
