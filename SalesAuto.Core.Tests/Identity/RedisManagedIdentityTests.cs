using System.Text;
using Azure.Core;
using Microsoft.Extensions.Logging.Abstractions;
using SalesAuto.Core.Identity;
using SalesAuto.Core.Redis;
using SalesAuto.Core.Tests.Infrastructure;
using SalesAuto.Server;
using StackExchange.Redis;

namespace SalesAuto.Core.Tests.Identity;

/// <summary>
/// Redis:Authentication = ManagedIdentity, proved on the local server: the connection string holds
/// no password, a fake TokenCredential hands out the local password as the "token" for the user
/// <c>default</c>, and the refresh re-authenticates live connections and arms reconnects.
/// </summary>
public sealed class RedisManagedIdentityTests
{
    private static readonly ConfigurationOptions Local = ConfigurationOptions.Parse(TestEnvironment.RedisConnectionString);

    private static RedisOptions Options(string clientName)
    {
        var configuration = ConfigurationOptions.Parse(TestEnvironment.RedisConnectionString);
        configuration.Password = null;
        configuration.User = null;
        configuration.ClientName = clientName;
        return new RedisOptions { ConnectionString = configuration.ToString(), Authentication = DependencyAuthentication.ManagedIdentity, User = "default" };
    }

    [Fact]
    public async Task Connect_SignsInWithTheCredentialsToken_AndRefreshReauthenticates()
    {
        var credential = new FakeTokenCredential(Local.Password!);
        var options = Options(TestEnvironment.UniqueName("redismi"));
        using var authenticator = new RedisTokenAuthenticator(credential, options.User, NullLogger.Instance, TimeProvider.System);
        await using var multiplexer = (ConnectionMultiplexer)RedisConnectionFactory.Connect(options, NullLogger.Instance, authenticator);

        await multiplexer.GetDatabase().PingAsync();
        Assert.True(await authenticator.RefreshAsync(TestContext.Token));

        Assert.Equal([RedisTokenAuthenticator.Scope, RedisTokenAuthenticator.Scope], credential.Scopes);
    }

    [Fact]
    public async Task Refresh_ReportsFailure_WhenTheServerRefusesTheNewToken()
    {
        var credential = new FakeTokenCredential(Local.Password!);
        var options = Options(TestEnvironment.UniqueName("redismi"));
        using var authenticator = new RedisTokenAuthenticator(credential, options.User, NullLogger.Instance, TimeProvider.System);
        await using var multiplexer = (ConnectionMultiplexer)RedisConnectionFactory.Connect(options, NullLogger.Instance, authenticator);
        await multiplexer.GetDatabase().PingAsync();

        credential.Token = "not-the-password";

        Assert.False(await authenticator.RefreshAsync(TestContext.Token));
    }

    [Fact]
    public async Task Reconnect_SignsInWithTheLatestToken()
    {
        var clientName = TestEnvironment.UniqueName("redismi");
        var credential = new FakeTokenCredential("not-the-password-yet");
        var options = Options(clientName);
        using var authenticator = new RedisTokenAuthenticator(credential, options.User, NullLogger.Instance, TimeProvider.System);
        await using var multiplexer = (ConnectionMultiplexer)RedisConnectionFactory.Connect(options, NullLogger.Instance, authenticator);
        Assert.False(multiplexer.IsConnected);

        // The first token was refused; the refreshed one is the password, and the multiplexer's
        // background reconnect signs in with it without being told.
        credential.Token = Local.Password!;
        Assert.True(await authenticator.RefreshAsync(TestContext.Token));

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!multiplexer.IsConnected && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200, TestContext.Token);
        }

        await multiplexer.GetDatabase().PingAsync();
    }

    [Fact]
    public async Task Multiplexer_UsesTheRegisteredCredential_WhenTheSettingSaysManagedIdentity()
    {
        var credential = new FakeTokenCredential(Local.Password!);
        var settings = RunningServer.DefaultSettings(TestEnvironment.PostgresConnectionString, "unused:");
        settings["ConnectionStrings:Redis"] = Options(TestEnvironment.UniqueName("redismi")).ConnectionString;
        settings["Redis:Authentication"] = "ManagedIdentity";
        settings["Redis:User"] = "default";
        await using var app = ServerApp.Build([], b =>
        {
            b.Configuration.AddInMemoryCollection(settings);
            b.Services.AddSingleton<TokenCredential>(credential);
        });

        var multiplexer = app.Services.GetRequiredService<IConnectionMultiplexer>();
        await multiplexer.GetDatabase().PingAsync();

        Assert.Contains(RedisTokenAuthenticator.Scope, credential.Scopes);
    }

    [Fact]
    public void Options_Refuse_APasswordInTheConnectionString_WhenAuthenticationIsManagedIdentity()
    {
        var options = new RedisOptions { ConnectionString = "redis.example:10000,password=key,ssl=True", Authentication = DependencyAuthentication.ManagedIdentity };

        var error = Assert.Single(options.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(options)));

        Assert.Contains("ConnectionStrings:Redis must hold no password", error.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void User_IsTheTokensOidClaim_WhenRedisUserIsNotSet()
    {
        static string Part(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var token = $"{Part("""{"alg":"RS256"}""")}.{Part("""{"oid":"6f1c2f34-0000-4000-8000-00000000abcd","aud":"https://redis.azure.com"}""")}.c2ln";
        var configuration = new ConfigurationOptions();
        using var authenticator = new RedisTokenAuthenticator(new FakeTokenCredential(token), user: null, NullLogger.Instance, TimeProvider.System);

        authenticator.Authenticate(configuration);

        Assert.Equal("6f1c2f34-0000-4000-8000-00000000abcd", configuration.User);
        Assert.Equal(token, configuration.Password);
        Assert.Null(RedisTokenAuthenticator.ObjectIdOf("not-a-jwt"));
    }

    [Theory]
    [InlineData(60, 45)]      // an hour left: renew after 45 minutes, capped at 30
    [InlineData(20, 15)]      // 20 minutes left: after 15
    [InlineData(0, 1)]        // expired: at the earliest allowed, 1 minute
    public void RefreshDelay_IsThreeQuartersOfTheRemainingLife_Between1And30Minutes(int minutesLeft, int expectedMinutes)
    {
        var now = new DateTimeOffset(2026, 12, 3, 10, 0, 0, TimeSpan.Zero);

        var delay = RedisTokenAuthenticator.RefreshDelay(now.AddMinutes(minutesLeft), now);

        Assert.Equal(TimeSpan.FromMinutes(Math.Min(expectedMinutes, 30)), delay);
    }
}
