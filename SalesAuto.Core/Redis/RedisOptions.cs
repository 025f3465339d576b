using System.ComponentModel.DataAnnotations;

namespace SalesAuto.Core.Redis;

/// <summary><c>ConnectionStrings:Redis</c>: a StackExchange.Redis configuration string.</summary>
/// <remarks>
/// Azure Cache for Redis / Azure Managed Redis give one such as
/// <c>name.redis.cache.windows.net:6380,password=...,ssl=True,abortConnect=False</c>: TLS and the
/// password are read from it as written. Keys are prefixed by <c>RetryQueue:KeyPrefix</c>.
/// </remarks>
public sealed class RedisOptions
{
    /// <summary><c>ConnectionStrings:Redis</c>.</summary>
    [Required(ErrorMessage = "ConnectionStrings:Redis is required (a StackExchange.Redis configuration string).")]
    public string? ConnectionString { get; set; }
}
