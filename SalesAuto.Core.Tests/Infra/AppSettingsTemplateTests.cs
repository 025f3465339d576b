using System.Reflection;
using System.Text.Json;
using Microsoft.Extensions.Options;
using SalesAuto.Core.DeadLetters;
using SalesAuto.Core.Http;
using SalesAuto.Core.Identity;
using SalesAuto.Core.Postgres;
using SalesAuto.Core.RetryQueue;
using SalesAuto.Core.Webhooks;

namespace SalesAuto.Core.Tests.Infra;

/// <summary>
/// The app settings infra/ gives the function app, as Bicep evaluates them offline
/// (infra/tests/app-settings.snapshot.json, kept equal to the template by scripts/check-infra.sh),
/// held against what Core reads: every name binds to a property of a settings class (the binder
/// refuses unknown keys), and the values pass Core's start-up validation once the Key Vault
/// references are resolved; left unresolved, each is named.
/// </summary>
public sealed class AppSettingsTemplateTests
{
    // Read by the Functions host, not by the app: identity-based host storage and Application Insights.
    private static readonly HashSet<string> HostSettings = new(StringComparer.Ordinal)
    {
        "AzureWebJobsStorage__accountName",
        "AzureWebJobsStorage__credential",
        "AzureWebJobsStorage__clientId",
        "APPLICATIONINSIGHTS_CONNECTION_STRING",
        "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
    };

    // Read by name: the timer triggers' %SETTING% schedules and IConfiguration.GetConnectionString.
    private static readonly HashSet<string> NamedSettings = new(StringComparer.Ordinal)
    {
        RetryQueueOptions.ScheduleAppSetting,
        DeadLetterOptions.ScheduleAppSetting,
        "ConnectionStrings__Postgres",
        "ConnectionStrings__Redis",
    };

    public static TheoryData<string> Deployments => new() { "managedIdentityAuthentication", "keyVaultAuthentication" };

    [Theory]
    [MemberData(nameof(Deployments))]
    public void EverySetting_BindsToASettingCoreReads(string deployment)
    {
        var settings = Settings(deployment);

        var bound = BindEachSection(settings);

        Assert.Superset(HostSettings, settings.Keys.ToHashSet());
        Assert.Superset(NamedSettings, settings.Keys.ToHashSet());
        Assert.Equal(settings.Count - HostSettings.Count - NamedSettings.Count, bound);
        Assert.Contains("Admin__Keys__ops", settings.Keys);
        Assert.Contains("Webhooks__Sources__lemlist__Secrets__1", settings.Keys);
    }

    [Theory]
    [InlineData("Webhooks__Sources__hubspot__Secret__0")]
    [InlineData("RetryQueue__Shedule")]
    [InlineData("Postgre__Authentication")]
    public void BindEachSection_Refuses_ASettingCoreDoesNotRead(string misspelt)
    {
        var settings = Settings("managedIdentityAuthentication");
        settings[misspelt] = "x";

        Assert.ThrowsAny<Exception>(() => BindEachSection(settings));
    }

    [Fact]
    public void BicepNameRule_GivesCoresVerdict_OnEverySampleName()
    {
        var verdicts = Verdicts("nameRule");

        Assert.Contains(verdicts, v => v.Valid);
        Assert.Contains(verdicts, v => !v.Valid);
        foreach (var (name, bicepAccepts) in verdicts)
        {
            var options = new WebhookOptions();
            options.Sources[name] = new WebhookSourceOptions { Kind = WebhookSourceKind.Lemlist, Secrets = ["a-long-enough-token"] };
            var coreAccepts = !options.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(options)).Any();

            Assert.True(coreAccepts == bicepAccepts, $"source name '{name}': Core {(coreAccepts ? "accepts" : "refuses")} it, shared.bicep isName {(bicepAccepts ? "accepts" : "refuses")} it");
        }
    }

    [Fact]
    public void BicepAdminKeyRule_GivesCoresVerdict_OnEverySampleKey()
    {
        var verdicts = Verdicts("adminKeyRule");

        Assert.Contains(verdicts, v => v.Valid);
        Assert.Contains(verdicts, v => !v.Valid);
        foreach (var (key, bicepAccepts) in verdicts)
        {
            var options = new AdminOptions();
            options.Keys["ops"] = key;
            var coreAccepts = !options.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(options)).Any();

            Assert.True(coreAccepts == bicepAccepts, $"admin key of {key.Length} characters: Core {(coreAccepts ? "accepts" : "refuses")} it, shared.bicep isAdminKey {(bicepAccepts ? "accepts" : "refuses")} it");
        }
    }

    private static List<(string Value, bool Valid)> Verdicts(string output)
    {
        using var snapshot = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryRoot(), "infra", "tests", "app-settings.snapshot.json")));
        return [.. snapshot.RootElement.GetProperty("outputs").GetProperty(output).EnumerateArray()
            .Select(v => (v.GetProperty("value").GetString()!, v.GetProperty("valid").GetBoolean()))];
    }

    // Binds every app setting but the host's and the by-name ones to Core's settings class of its
    // section, refusing keys that match no property; returns how many settings that covered.
    private static int BindEachSection(Dictionary<string, string> settings)
    {
        var configuration = Configuration(Resolved(settings));
        var sections = SettingsSections();
        var bound = 0;
        foreach (var group in settings.Keys.Where(k => !HostSettings.Contains(k) && !NamedSettings.Contains(k)).GroupBy(k => k.Split("__")[0]))
        {
            if (!sections.TryGetValue(group.Key, out var type))
            {
                throw new InvalidOperationException($"app setting {group.First()}: Core has no settings section '{group.Key}'");
            }

            // ErrorOnUnknownConfiguration: a key that matches no property throws, naming it.
            configuration.GetSection(group.Key).Get(type, o => o.ErrorOnUnknownConfiguration = true);
            bound += group.Count();
        }

        return bound;
    }

    [Theory]
    [MemberData(nameof(Deployments))]
    public void Settings_PassCoresStartupValidation_OnceKeyVaultReferencesAreResolved(string deployment)
    {
        using var services = Services(Resolved(Settings(deployment)));

        services.GetRequiredService<IStartupValidator>().Validate();

        Assert.Equal(
            deployment == "managedIdentityAuthentication" ? DependencyAuthentication.ManagedIdentity : DependencyAuthentication.Password,
            services.GetRequiredService<IOptions<PostgresOptions>>().Value.Authentication);
    }

    [Theory]
    [MemberData(nameof(Deployments))]
    public void Start_NamesEverySettingWhoseKeyVaultReferenceIsUnresolved(string deployment)
    {
        var settings = Settings(deployment);
        using var services = Services(settings);

        var error = Assert.ThrowsAny<Exception>(() => services.GetRequiredService<IStartupValidator>().Validate());

        var references = settings.Where(s => KeyVaultReferences.IsUnresolved(s.Value)).Select(s => s.Key.Replace("__", ":", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(references);
        foreach (var setting in references)
        {
            Assert.Contains($"{setting} still holds an unresolved Key Vault reference", Flatten(error), StringComparison.Ordinal);
        }
    }

    private static Dictionary<string, string> Settings(string deployment)
    {
        using var snapshot = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryRoot(), "infra", "tests", "app-settings.snapshot.json")));
        var output = snapshot.RootElement.GetProperty("outputs").GetProperty(deployment);
        Assert.Equal(JsonValueKind.Object, output.ValueKind); // an unevaluated expression would be a string
        return output.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal);
    }

    // What the platform puts in place of each Key Vault reference: a value of the right shape.
    private static Dictionary<string, string> Resolved(Dictionary<string, string> settings) =>
        settings.ToDictionary(s => s.Key, s => !KeyVaultReferences.IsUnresolved(s.Value) ? s.Value : s.Key switch
        {
            "ConnectionStrings__Postgres" => "Host=psql.example;Database=salesauto;Username=salesauto_admin;Password='p'",
            "ConnectionStrings__Redis" => "redis.example:10000,password=key,ssl=True,abortConnect=False",
            _ when s.Key.StartsWith("Webhooks__Sources__", StringComparison.Ordinal)
                && settings.GetValueOrDefault(s.Key[..s.Key.IndexOf("__Secrets__", StringComparison.Ordinal)] + "__Kind") == "StandardWebhooks"
                => "whsec_" + Convert.ToBase64String(new byte[24]),
            _ => "a-resolved-secret-of-32-characters",
        });

    private static IConfiguration Configuration(Dictionary<string, string> settings) =>
        // App settings reach .NET as environment variables, where "__" is ":".
        new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key.Replace("__", ":", StringComparison.Ordinal), (string?)s.Value)))
            .Build();

    private static ServiceProvider Services(Dictionary<string, string> settings)
    {
        var configuration = Configuration(settings);
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(configuration);
        services.AddSalesAutoCore(configuration);
        return services.BuildServiceProvider();
    }

    // Every settings class of Core, by the section it declares (a public const string Section).
    private static Dictionary<string, Type> SettingsSections() =>
        typeof(SalesAutoServiceCollectionExtensions).Assembly.GetTypes()
            .Select(t => (Type: t, Field: t.GetField("Section", BindingFlags.Public | BindingFlags.Static)))
            .Where(t => t.Field is { IsLiteral: true } && t.Field.FieldType == typeof(string))
            .ToDictionary(t => (string)t.Field!.GetRawConstantValue()!, t => t.Type, StringComparer.Ordinal);

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "global.json")) && Directory.Exists(Path.Combine(directory.FullName, "infra")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException("the repository root (global.json, infra/) was not found above " + AppContext.BaseDirectory);
    }

    private static string Flatten(Exception error) => error switch
    {
        AggregateException aggregate => string.Join(" | ", aggregate.InnerExceptions.Select(Flatten)),
        OptionsValidationException validation => string.Join(" | ", validation.Failures) + " " + validation.Message,
        _ => error.Message + (error.InnerException is null ? string.Empty : " | " + Flatten(error.InnerException)),
    };
}
