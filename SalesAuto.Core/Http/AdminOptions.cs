using System.ComponentModel.DataAnnotations;

namespace SalesAuto.Core.Http;

/// <summary>Settings of the <c>Admin</c> section (SalesAuto.Server's keys; Functions uses function keys).</summary>
public sealed class AdminOptions : IValidatableObject
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Admin";

    /// <summary>The shortest key accepted: anything shorter is guessable.</summary>
    public const int MinKeyLength = 16;

    /// <summary><c>Admin:Keys:{name}</c> = key. The name is what the audit log records.</summary>
    public Dictionary<string, string> Keys { get; set; } = new(StringComparer.Ordinal);

    /// <summary><c>Admin:AllowedOrigins:{i}</c>: browser origins allowed to call the admin routes.</summary>
    public List<string> AllowedOrigins { get; set; } = [];

    /// <summary><c>Admin:RateLimit:*</c>: per-caller limits on the admin routes (SalesAuto.Server).</summary>
    public AdminRateLimitOptions RateLimit { get; set; } = new();

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (name, key) in Keys)
        {
            if (string.IsNullOrWhiteSpace(key) || key.Length < MinKeyLength)
            {
                yield return new ValidationResult($"Admin:Keys:{name} must be at least {MinKeyLength} characters.");
            }
        }

        if (RateLimit.PermitLimit is < 1 or > 1_000_000)
        {
            yield return new ValidationResult("Admin:RateLimit:PermitLimit must be between 1 and 1000000.");
        }

        if (RateLimit.Window < TimeSpan.FromSeconds(1) || RateLimit.Window > TimeSpan.FromHours(1))
        {
            yield return new ValidationResult("Admin:RateLimit:Window must be between 00:00:01 and 01:00:00.");
        }

        foreach (var origin in AllowedOrigins)
        {
            if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.AbsolutePath != "/")
            {
                yield return new ValidationResult($"Admin:AllowedOrigins entry '{origin}' must be an origin such as https://ops.example.com.");
            }
        }
    }
}

/// <summary><c>Admin:RateLimit</c>: a fixed window per caller (key name, else client address).</summary>
public sealed class AdminRateLimitOptions
{
    /// <summary><c>Admin:RateLimit:PermitLimit</c>: requests per window.</summary>
    public int PermitLimit { get; set; } = 600;

    /// <summary><c>Admin:RateLimit:Window</c>.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
}
