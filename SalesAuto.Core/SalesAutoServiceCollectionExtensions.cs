using System.Globalization;
using Azure.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SalesAuto.Core.Audit;
using SalesAuto.Core.Console;
using SalesAuto.Core.DeadLetters;
using SalesAuto.Core.Enrollments;
using SalesAuto.Core.Events;
using SalesAuto.Core.Http;
using SalesAuto.Core.Identity;
using SalesAuto.Core.Observability;
using SalesAuto.Core.Postgres;
using SalesAuto.Core.Privacy;
using SalesAuto.Core.Redis;
using SalesAuto.Core.Resilience;
using SalesAuto.Core.RetryQueue;
using SalesAuto.Core.Webhooks;
using SalesAuto.Core.Webhooks.Sources;

namespace SalesAuto.Core;

/// <summary>The one registration entry point both hosts call.</summary>
public static class SalesAutoServiceCollectionExtensions
{
    /// <summary>
    /// Registers every SalesAuto service and binds and validates every settings section at start-up:
    /// a bad setting stops the host with a message naming it.
    /// </summary>
    public static IServiceCollection AddSalesAutoCore(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<PostgresOptions>()
            .BindConfiguration(PostgresOptions.Section)
            .Configure(o => o.ConnectionString = configuration.GetConnectionString("Postgres"))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<RedisOptions>()
            .BindConfiguration(RedisOptions.Section)
            .Configure(o => o.ConnectionString = configuration.GetConnectionString("Redis"))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<RetryQueueOptions>()
            .BindConfiguration(RetryQueueOptions.Section)
            .PostConfigure(o => ApplyDelays(o, configuration.GetSection(RetryQueueOptions.Section)))
            .PostConfigure(o => o.Schedule = OneSchedule(configuration, $"{RetryQueueOptions.Section}:Schedule", RetryQueueOptions.ScheduleAppSetting, o.Schedule))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<WebhookOptions>()
            .BindConfiguration(WebhookOptions.Section)
            .ValidateDataAnnotations()
            .Validate(_ => UnknownSourceKinds(configuration) is null, UnknownSourceKinds(configuration) ?? "unused")
            .ValidateOnStart();
        services.AddOptions<AdminOptions>()
            .BindConfiguration(AdminOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<ResilienceOptions>()
            .BindConfiguration(ResilienceOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.Section);
        services.AddOptions<ManagedIdentityOptions>().BindConfiguration(ManagedIdentityOptions.Section);
        // Any setting still holding "@Microsoft.KeyVault(...)" stops the host with its name.
        services.AddOptions<KeyVaultReferenceCheck>()
            .Configure(o => o.UnresolvedSettings = KeyVaultReferences.FindUnresolved(configuration))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<DeadLetterOptions>()
            .BindConfiguration(DeadLetterOptions.Section)
            .PostConfigure(o => o.RetentionSchedule = OneSchedule(configuration, $"{DeadLetterOptions.Section}:RetentionSchedule", DeadLetterOptions.ScheduleAppSetting, o.RetentionSchedule))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<PrivacyOptions>()
            .BindConfiguration(PrivacyOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<AuditOptions>()
            .BindConfiguration(AuditOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        // The identity's credential, created only when a dependency authenticates with it; a test
        // registers its own TokenCredential first.
        services.TryAddSingleton<TokenCredential>(sp => sp.GetRequiredService<IOptions<ManagedIdentityOptions>>().Value.CreateCredential());
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<PostgresOptions>>().Value;
            return PostgresDataSourceFactory.Create(
                options,
                options.Authentication == DependencyAuthentication.ManagedIdentity ? sp.GetRequiredService<TokenCredential>() : null);
        });
        services.TryAddSingleton(sp => new RedisTokenAuthenticator(
            sp.GetRequiredService<TokenCredential>(),
            sp.GetRequiredService<IOptions<RedisOptions>>().Value.User,
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("SalesAuto.Redis"),
            sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<RedisOptions>>().Value;
            return RedisConnectionFactory.Connect(
                options,
                sp.GetRequiredService<ILoggerFactory>().CreateLogger("SalesAuto.Redis"),
                options.Authentication == DependencyAuthentication.ManagedIdentity ? sp.GetRequiredService<RedisTokenAuthenticator>() : null);
        });
        services.TryAddSingleton<PostgresMigrator>();

        services.TryAddSingleton<SalesAutoMetrics>();
        services.TryAddSingleton<DependencyCircuits>();
        services.TryAddSingleton<CycleMonitor>();
        services.TryAddSingleton<HealthService>();
        services.TryAddSingleton<QueueHistory>();
        services.TryAddSingleton<MetricsRefresher>();
        services.TryAddSingleton<QueueStatusEndpoints>();
        services.TryAddSingleton<HealthEndpoints>();
        services.TryAddSingleton<AdminKeyValidator>();
        services.TryAddSingleton<AdminAuthorizer>();
        services.TryAddSingleton<RouteDispatcher>();
        services.TryAddSingleton<RequestPipeline>();

        services.TryAddSingleton<IRetryQueue, RedisRetryQueue>();
        services.TryAddSingleton<RetryPolicy>();
        services.TryAddSingleton<RetryCycle>();

        services.TryAddSingleton<IEventProcessor, PostgresEventProcessor>();
        services.TryAddSingleton<EnrollmentStore>();
        services.TryAddSingleton<EnrollmentService>();
        services.TryAddSingleton<EnrollmentEndpoints>();
        services.TryAddSingleton<WebhookVerifier>();
        services.TryAddSingleton<WebhookIntake>();
        services.TryAddSingleton<WebhookEndpoints>();

        // One store owns the statements on dead_letters (privacy's cross-table ones aside); everything else takes the interface.
        services.TryAddSingleton<IDeadLetterStore, PostgresDeadLetterStore>();
        // A factory: its constructor is internal, as the intake it takes is.
        services.TryAddSingleton(sp => new DeadLetterReplayer(
            sp.GetRequiredService<WebhookIntake>(), sp.GetRequiredService<IDeadLetterStore>(),
            sp.GetRequiredService<IOptions<DeadLetterOptions>>(), sp.GetRequiredService<ILogger<DeadLetterReplayer>>()));
        services.TryAddSingleton<DeadLetterService>();
        services.TryAddSingleton<DeadLetterEndpoints>();
        services.TryAddSingleton<DeadLetterRetention>();
        services.TryAddSingleton<OpenApiEndpoint>();
        services.TryAddSingleton<ConsoleEndpoints>();

        services.TryAddSingleton<PostgresAuditLog>();
        services.TryAddSingleton<AuditService>();
        services.TryAddSingleton<AuditEndpoints>();
        services.TryAddSingleton<PrivacyHasher>();
        services.TryAddSingleton<IParkedOrphans, RedisParkedOrphans>();
        services.TryAddSingleton<PostgresPrivacyStore>();
        services.TryAddSingleton<SuppressionHits>();
        services.TryAddSingleton<PrivacyEraser>();
        services.TryAddSingleton<PrivacyExporter>();
        services.TryAddSingleton<PrivacyEndpoints>();
        return services;
    }

    // The binder drops a dictionary entry it cannot bind (an unknown enum name) without a word, so
    // a source with a misspelt Kind would simply not exist: its webhooks would get 404. Checked on
    // the raw values instead, naming the setting.
    private static string? UnknownSourceKinds(IConfiguration configuration)
    {
        var unknown = configuration.GetSection($"{WebhookOptions.Section}:Sources").GetChildren()
            .Select(source => (Path: $"{WebhookOptions.Section}:Sources:{source.Key}:Kind", Value: source["Kind"]))
            .Where(kind => !string.IsNullOrWhiteSpace(kind.Value)
                && !(Enum.TryParse<WebhookSourceKind>(kind.Value, ignoreCase: true, out var parsed) && parsed != WebhookSourceKind.None && Enum.IsDefined(parsed)))
            .Select(kind => $"{kind.Path} ('{kind.Value}') must be {WebhookSources.KindNames}.")
            .ToList();
        return unknown.Count == 0 ? null : string.Join(" ", unknown);
    }

    // A schedule is defined once: the nested setting Core reads, or the flat one the Functions
    // timer reads, or both with the same value.
    private static string OneSchedule(IConfiguration configuration, string nested, string flat, string bound)
    {
        var flatValue = configuration[flat];
        var nestedValue = configuration[nested];
        if (string.IsNullOrWhiteSpace(flatValue))
        {
            return bound;
        }

        if (!string.IsNullOrWhiteSpace(nestedValue) && !string.Equals(flatValue.Trim(), nestedValue.Trim(), StringComparison.Ordinal))
        {
            throw new OptionsValidationException(nested, typeof(string), [$"{nested} ('{nestedValue}') and {flat} ('{flatValue}') must be equal: the Functions timer runs on {flat}, the cycle sizes its budget on {nested}."]);
        }

        return flatValue.Trim();
    }

    // RetryQueue:Delays may be indexed entries (Delays:0 = 00:00:05) or one comma-separated value
    // ("00:00:05,00:00:15"), which is what an app setting or an environment variable can hold.
    private static void ApplyDelays(RetryQueueOptions options, IConfigurationSection section)
    {
        var single = section["Delays"];
        if (!string.IsNullOrWhiteSpace(single))
        {
            options.Delays = [];
            foreach (var part in single.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!TimeSpan.TryParse(part, CultureInfo.InvariantCulture, out var delay))
                {
                    throw new OptionsValidationException(RetryQueueOptions.Section, typeof(RetryQueueOptions), [$"RetryQueue:Delays entry '{part}' is not a TimeSpan such as 00:00:05."]);
                }

                options.Delays.Add(delay);
            }
        }

        if (options.Delays.Count == 0 && !section.GetSection("Delays").GetChildren().Any())
        {
            options.Delays = [.. RetryQueueOptions.DefaultDelays];
        }
    }
}
