using System.ComponentModel.DataAnnotations;
using SalesAuto.Core.Identity;
using StackExchange.Redis;

namespace SalesAuto.Core.Redis;

/// <summary><c>ConnectionStrings:Redis</c> (a StackExchange.Redis configuration string) and the <c>Redis</c> section.</summary>
/// <remarks>
/// Azure Managed Redis gives one such as <c>name.region.redis.azure.net:10000,password=...,ssl=True,abortConnect=False</c>:
/// TLS and the password are read from it as written. Keys are prefixed by <c>RetryQueue:KeyPrefix</c>.
/// </remarks>
internal sealed class RedisOptions : IValidatableObject
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Redis";

    /// <summary><c>ConnectionStrings:Redis</c>.</summary>
    [Required(ErrorMessage = "ConnectionStrings:Redis is required (a StackExchange.Redis configuration string).")]
    public string? ConnectionString { get; set; }

    /// <summary>
    /// <c>Redis:Authentication</c>: <c>Password</c> (default: the connection string's password or
    /// access key) or <c>ManagedIdentity</c> (an Entra ID token of the app's identity is the
    /// password, renewed on every connection before it expires; the connection string holds none).
    /// </summary>
    public DependencyAuthentication Authentication { get; set; } = DependencyAuthentication.Password;

    /// <summary>
    /// <c>Redis:User</c>: the Redis user a token signs in as, with <c>ManagedIdentity</c>. Empty
    /// (the default): the token's <c>oid</c> claim, the identity's object ID, which is the user name
    /// Azure Managed Redis gives an access policy assignment.
    /// </summary>
    public string? User { get; set; }

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // An unresolved Key Vault reference is reported once, by KeyVaultReferenceCheck.
        if (Authentication != DependencyAuthentication.ManagedIdentity || string.IsNullOrWhiteSpace(ConnectionString) || KeyVaultReferences.IsUnresolved(ConnectionString))
        {
            yield break;
        }

        ConfigurationOptions parsed;
        try
        {
            parsed = ConfigurationOptions.Parse(ConnectionString);
        }
        catch (ArgumentException)
        {
            yield break; // the connection factory reports a malformed string with the client's own message
        }

        if (!string.IsNullOrEmpty(parsed.Password))
        {
            yield return new ValidationResult("ConnectionStrings:Redis must hold no password when Redis:Authentication is ManagedIdentity: the identity's token is the password.");
        }
    }
}
