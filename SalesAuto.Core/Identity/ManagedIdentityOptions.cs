using Azure.Core;
using Azure.Identity;

namespace SalesAuto.Core.Identity;

/// <summary>
/// How a dependency authenticates: the password (or access key) in its connection string, or an
/// Entra ID token of the app's managed identity.
/// </summary>
public enum DependencyAuthentication
{
    /// <summary>The connection string's password (local runs, tests, password deployments).</summary>
    Password,

    /// <summary>An Entra ID access token of the managed identity, refreshed before it expires.</summary>
    ManagedIdentity,
}

/// <summary>Settings of the <c>ManagedIdentity</c> section.</summary>
internal sealed class ManagedIdentityOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "ManagedIdentity";

    /// <summary>
    /// <c>ManagedIdentity:ClientId</c>: the client ID of the user-assigned identity the app runs as
    /// (infra/ sets it). Empty: <see cref="DefaultAzureCredential"/> (a system-assigned identity, or
    /// a developer's Azure CLI sign-in).
    /// </summary>
    public string? ClientId { get; set; }

    /// <summary>The credential these settings describe. Tokens are cached and renewed by Azure.Identity.</summary>
    public TokenCredential CreateCredential() =>
        string.IsNullOrWhiteSpace(ClientId)
            ? new DefaultAzureCredential()
            : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(ClientId.Trim()));
}
