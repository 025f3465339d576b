using Azure.Core;
using Microsoft.Extensions.Options;
using Npgsql;
using SalesAuto.Core.Identity;
using SalesAuto.Core.Postgres;
using SalesAuto.Core.Tests.Infrastructure;
using SalesAuto.Server;

namespace SalesAuto.Core.Tests.Identity;

/// <summary>
/// Postgres:Authentication = ManagedIdentity, proved on the local server: the connection string
/// holds no password, a fake TokenCredential hands out the local role's password as the "token",
/// and the server accepts it. That is the path an Entra ID token takes on Azure.
/// </summary>
public sealed class PostgresManagedIdentityTests
{
    private static readonly NpgsqlConnectionStringBuilder Local = new(TestEnvironment.PostgresConnectionString);

    private static string WithoutPassword() =>
        new NpgsqlConnectionStringBuilder(TestEnvironment.PostgresConnectionString) { Password = null }.ConnectionString;

    [Fact]
    public async Task OpenConnection_SignsInWithTheCredentialsToken_WhenAuthenticationIsManagedIdentity()
    {
        var credential = new FakeTokenCredential(Local.Password!);
        var options = new PostgresOptions { ConnectionString = WithoutPassword(), Authentication = DependencyAuthentication.ManagedIdentity };
        await using var dataSource = PostgresDataSourceFactory.Create(options, credential);

        await using var connection = await dataSource.OpenConnectionAsync(TestContext.Token);
        await using var command = new NpgsqlCommand("select current_user", connection);

        Assert.Equal(Local.Username, await command.ExecuteScalarAsync(TestContext.Token));
        Assert.Contains(PostgresDataSourceFactory.PostgresTokenScope, credential.Scopes);
    }

    [Fact]
    public async Task OpenConnection_IsRefused_WhenTheTokenIsNotTheRolesPassword()
    {
        var credential = new FakeTokenCredential("not-the-password");
        var options = new PostgresOptions { ConnectionString = WithoutPassword(), Authentication = DependencyAuthentication.ManagedIdentity };
        await using var dataSource = PostgresDataSourceFactory.Create(options, credential);

        var error = await Assert.ThrowsAsync<PostgresException>(async () => await dataSource.OpenConnectionAsync(TestContext.Token));

        Assert.Equal(PostgresErrorCodes.InvalidPassword, error.SqlState);
    }

    [Fact]
    public void Create_Refuses_WhenManagedIdentityHasNoCredential()
    {
        var options = new PostgresOptions { ConnectionString = WithoutPassword(), Authentication = DependencyAuthentication.ManagedIdentity };

        Assert.Throws<ArgumentNullException>(() => PostgresDataSourceFactory.Create(options));
    }

    [Fact]
    public async Task DataSource_UsesTheRegisteredCredential_WhenTheSettingSaysManagedIdentity()
    {
        var credential = new FakeTokenCredential(Local.Password!);
        var settings = RunningServer.DefaultSettings(WithoutPassword(), "unused:");
        settings["Postgres:Authentication"] = "ManagedIdentity";
        settings["Postgres:MigrateOnStart"] = "false";
        await using var app = ServerApp.Build([], b =>
        {
            b.Configuration.AddInMemoryCollection(settings);
            b.Services.AddSingleton<TokenCredential>(credential);
        });

        var dataSource = app.Services.GetRequiredService<NpgsqlDataSource>();
        await using var connection = await dataSource.OpenConnectionAsync(TestContext.Token);

        Assert.Equal(DependencyAuthentication.ManagedIdentity, app.Services.GetRequiredService<IOptions<PostgresOptions>>().Value.Authentication);
        Assert.Contains(PostgresDataSourceFactory.PostgresTokenScope, credential.Scopes);
    }

    [Fact]
    public async Task DataSource_NeverAsksForAToken_WhenAuthenticationIsPasswordByDefault()
    {
        var credential = new FakeTokenCredential("unused");
        var settings = RunningServer.DefaultSettings(TestEnvironment.PostgresConnectionString, "unused:");
        settings["Postgres:MigrateOnStart"] = "false";
        await using var app = ServerApp.Build([], b =>
        {
            b.Configuration.AddInMemoryCollection(settings);
            b.Services.AddSingleton<TokenCredential>(credential);
        });

        await using var connection = await app.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync(TestContext.Token);

        Assert.Equal(DependencyAuthentication.Password, app.Services.GetRequiredService<IOptions<PostgresOptions>>().Value.Authentication);
        Assert.Empty(credential.Scopes);
    }

    [Theory]
    [InlineData("Host=db;Username=id-app;Password=secret", "must hold no Password")]
    [InlineData("Host=db", "must name the Entra ID role in Username")]
    public void Options_Refuse_AConnectionStringThatContradictsManagedIdentity(string connectionString, string expected)
    {
        var options = new PostgresOptions { ConnectionString = connectionString, Authentication = DependencyAuthentication.ManagedIdentity };

        var errors = options.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(options)).Select(e => e.ErrorMessage).ToList();

        var error = Assert.Single(errors);
        Assert.Contains("ConnectionStrings:Postgres", error, StringComparison.Ordinal);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_Accept_APasswordConnectionString_WhenAuthenticationIsPassword()
    {
        var options = new PostgresOptions { ConnectionString = TestEnvironment.PostgresConnectionString };

        Assert.Empty(options.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(options)));
    }
}
