using Microsoft.Extensions.Options;
using SalesAuto.Core.Tests.Infrastructure;

namespace SalesAuto.Core.Tests.Identity;

/// <summary>
/// A setting that still holds "@Microsoft.KeyVault(...)" (the platform could not read the secret)
/// stops the host with a sentence that names the setting, whatever the setting.
/// </summary>
public sealed class KeyVaultReferenceTests
{
    private const string Reference = "@Microsoft.KeyVault(SecretUri=https://kv-salesauto.vault.azure.net/secrets/webhook-std-0)";

    [Theory]
    [InlineData("ConnectionStrings:Postgres")]
    [InlineData("ConnectionStrings:Redis")]
    [InlineData("Admin:Keys:tests")]
    [InlineData("Webhooks:Sources:std:Secrets:0")]
    public async Task Start_Fails_NamingTheSetting_WhenItHoldsAnUnresolvedKeyVaultReference(string key)
    {
        var settings = RunningServer.DefaultSettings(TestEnvironment.PostgresConnectionString, "unused:");
        settings["Webhooks:Sources:std:Kind"] = "StandardWebhooks";
        settings["Webhooks:Sources:std:Secrets:0"] = "whsec_" + Convert.ToBase64String(new byte[24]);
        settings[key] = Reference;

        var error = await Assert.ThrowsAnyAsync<Exception>(() => RunningServer.StartAsync(settings));

        Assert.Contains($"{key} still holds an unresolved Key Vault reference", Flatten(error), StringComparison.Ordinal);
    }

    [Fact]
    public void FindUnresolved_ListsOnlyReferences_InOrder()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["B:Key"] = " @microsoft.keyvault(VaultName=kv;SecretName=b)",
            ["A:Key"] = Reference,
            ["C:Key"] = "a plain value that mentions @Microsoft.KeyVault( later",
        }).Build();

        Assert.Equal(["A:Key", "B:Key"], Core.Identity.KeyVaultReferences.FindUnresolved(configuration));
    }

    private static string Flatten(Exception error) => error switch
    {
        AggregateException aggregate => string.Join(" | ", aggregate.InnerExceptions.Select(Flatten)),
        OptionsValidationException validation => string.Join(" | ", validation.Failures) + " " + validation.Message,
        _ => error.Message + (error.InnerException is null ? string.Empty : " | " + Flatten(error.InnerException)),
    };
}
