namespace SalesAuto.Core.Tests.Infrastructure;

/// <summary>
/// One SalesAuto.Server per test class, on its own schema and Redis key prefix. Subclasses add
/// settings (webhook sources, short delays) in <see cref="Configure"/>.
/// </summary>
public class ServerFixture : IAsyncLifetime
{
    public PostgresSchema Schema { get; } = new();

    public string KeyPrefix { get; } = TestEnvironment.UniqueName("srv") + ":";

    public RunningServer Server { get; private set; } = null!;

    public virtual async Task InitializeAsync()
    {
        await Schema.InitializeAsync();
        var settings = RunningServer.DefaultSettings(Schema.ConnectionString, KeyPrefix);
        Configure(settings);
        Server = await RunningServer.StartAsync(settings, Customize, owner: GetType().Name);
    }

    public virtual async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        await Schema.DisposeAsync();
    }

    protected virtual void Configure(IDictionary<string, string?> settings)
    {
    }

    /// <summary>Adds to the host before it is built (a log capture, ...).</summary>
    protected virtual void Customize(Microsoft.AspNetCore.Builder.WebApplicationBuilder builder)
    {
    }
}

/// <summary>A server with one source of each kind: hubspot, lemlist, std (two secrets each, for rotation).</summary>
public class WebhookServerFixture : ServerFixture
{
    public const string HubSpotSecret = "hubspot-client-secret-current";
    public const string HubSpotOldSecret = "hubspot-client-secret-previous";
    public const string LemlistToken = "lemlist-shared-token-current";
    public const string StandardSecret = "whsec_c3RhbmRhcmQtd2ViaG9va3MtdGVzdC1zZWNyZXQ=";
    public const string StandardOldSecret = "whsec_b2xkLXN0YW5kYXJkLXdlYmhvb2tzLXNlY3JldA==";
    public const string PublicBaseUrl = "https://hooks.salesauto.example";

    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["Webhooks:PublicBaseUrl"] = PublicBaseUrl;
        settings["Webhooks:Sources:hubspot:Kind"] = "HubSpot";
        settings["Webhooks:Sources:hubspot:Secrets:0"] = HubSpotOldSecret;
        settings["Webhooks:Sources:hubspot:Secrets:1"] = HubSpotSecret;
        settings["Webhooks:Sources:lemlist:Kind"] = "Lemlist";
        settings["Webhooks:Sources:lemlist:Secrets:0"] = LemlistToken;
        settings["Webhooks:Sources:std:Kind"] = "StandardWebhooks";
        settings["Webhooks:Sources:std:Secrets:0"] = StandardSecret;
        settings["Webhooks:Sources:std:Secrets:1"] = StandardOldSecret;
        settings["Webhooks:MaxBodyBytes"] = "65536";
    }
}
