using Microsoft.Extensions.Options;
using SalesAuto.Core.Redis;
using SalesAuto.Core.RetryQueue;
using SalesAuto.Core.Tests.Infrastructure;
using SalesAuto.Server;

namespace SalesAuto.Core.Tests.Foundation;

public sealed class OptionsValidationTests
{
    [Theory]
    [InlineData("RetryQueue:BatchSize", "0", "RetryQueue:BatchSize")]
    [InlineData("RetryQueue:MaxAttempts", "0", "RetryQueue:MaxAttempts")]
    [InlineData("RetryQueue:Schedule", "*/10 * * * *", "RetryQueue:Schedule")]
    [InlineData("RetryQueue:Schedule", "every ten seconds", "RetryQueue:Schedule")]
    [InlineData("RetryQueue:Delays", "00:00:05,soon", "RetryQueue:Delays")]
    [InlineData("RetryQueue:KeyPrefix", "bad{prefix}", "RetryQueue:KeyPrefix")]
    [InlineData("RetryQueue:Lease", "00:00:00", "RetryQueue:Lease")]
    [InlineData("Postgres:StatementTimeout", "00:00:00", "Postgres:StatementTimeout")]
    [InlineData("Webhooks:MaxBodyBytes", "0", "Webhooks:MaxBodyBytes")]
    [InlineData("Webhooks:Sources:std:Kind", "StandardWebhooks", "Webhooks:Sources:std:Secrets:0")]
    [InlineData("Webhooks:Sources:hs:Secrets:0", "a-long-enough-secret", "Webhooks:Sources:hs:Kind")]
    [InlineData("Admin:Keys:ops", "short", "Admin:Keys:ops")]
    [InlineData("Webhooks:Sources:a-b:Kind", "Lemlist", "Webhooks:Sources:a-b")]
    [InlineData("Webhooks:Sources:a_b:Kind", "Lemlist", "Webhooks:Sources:a_b")]
    [InlineData("Webhooks:Sources:hs:Kind", "Mailchimp", "Webhooks:Sources:hs:Kind")]
    [InlineData("Postgres:MigrationLockTimeout", "00:00:00", "Postgres:MigrationLockTimeout")]
    [InlineData("DeadLetters:RetentionSchedule", "hourly", "DeadLetters:RetentionSchedule")]
    public async Task Start_Fails_NamingTheSetting_WhenSettingIsInvalid(string key, string value, string named)
    {
        var settings = RunningServer.DefaultSettings(TestEnvironment.PostgresConnectionString, "unused:");
        settings[key] = value;
        if (key == "Webhooks:Sources:std:Kind")
        {
            settings["Webhooks:Sources:std:Secrets:0"] = "not-a-whsec-secret";
        }
        else if (key.StartsWith("Webhooks:Sources:a", StringComparison.Ordinal))
        {
            // A source otherwise valid, so only its name is wrong.
            settings[key.Replace(":Kind", ":Secrets:0", StringComparison.Ordinal)] = "a-long-enough-token";
        }

        if (key == "Webhooks:Sources:hs:Kind")
        {
            settings["Webhooks:Sources:hs:Secrets:0"] = "a-long-enough-secret";
        }

        var error = await Assert.ThrowsAnyAsync<Exception>(() => RunningServer.StartAsync(settings));

        Assert.Contains(named, Flatten(error), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ConnectionStrings:Postgres")]
    [InlineData("ConnectionStrings:Redis")]
    public async Task Start_Fails_NamingTheSetting_WhenConnectionStringIsMissing(string key)
    {
        var settings = RunningServer.DefaultSettings(TestEnvironment.PostgresConnectionString, "unused:");
        settings.Remove(key);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => RunningServer.StartAsync(settings, b => b.Configuration[key] = null));

        Assert.Contains(key, Flatten(error), StringComparison.Ordinal);
    }

    [Fact]
    public void Delays_DefaultToTheDesignedSchedule_WhenNotSet()
    {
        using var app = ServerApp.Build([], b => b.Configuration.AddInMemoryCollection(RunningServer.DefaultSettings(TestEnvironment.PostgresConnectionString, "x:")));
        var options = app.Services.GetRequiredService<IOptions<RetryQueueOptions>>().Value;

        Assert.Equal(RetryQueueOptions.DefaultDelays, options.Delays);
        Assert.Equal(TimeSpan.FromSeconds(10), options.ScheduleInterval());
        Assert.Equal(TimeSpan.FromSeconds(8), options.EffectiveCycleBudget());
    }

    [Fact]
    public void Delays_AcceptOneCommaSeparatedValue()
    {
        var settings = RunningServer.DefaultSettings(TestEnvironment.PostgresConnectionString, "x:");
        settings["RetryQueue:Delays"] = "00:00:01, 00:00:02,00:01:00";
        using var app = ServerApp.Build([], b => b.Configuration.AddInMemoryCollection(settings));

        var options = app.Services.GetRequiredService<IOptions<RetryQueueOptions>>().Value;

        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(1)], options.Delays);
        Assert.Equal(TimeSpan.FromMinutes(1), app.Services.GetRequiredService<RetryPolicy>().DelayAfter(10));
    }

    [Fact]
    public void Delays_AcceptIndexedEntries_WithoutAppendingToDefaults()
    {
        var settings = RunningServer.DefaultSettings(TestEnvironment.PostgresConnectionString, "x:");
        settings["RetryQueue:Delays:0"] = "00:00:03";
        settings["RetryQueue:Delays:1"] = "00:00:04";
        using var app = ServerApp.Build([], b => b.Configuration.AddInMemoryCollection(settings));

        var options = app.Services.GetRequiredService<IOptions<RetryQueueOptions>>().Value;

        Assert.Equal([TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(4)], options.Delays);
    }

    [Fact]
    public void Schedule_IsTheFunctionsTimersFlatSetting_WhenOnlyThatIsSet()
    {
        var settings = RunningServer.DefaultSettings(TestEnvironment.PostgresConnectionString, "x:");
        settings[RetryQueueOptions.ScheduleAppSetting] = "*/30 * * * * *";
        using var app = ServerApp.Build([], b => b.Configuration.AddInMemoryCollection(settings));

        var options = app.Services.GetRequiredService<IOptions<RetryQueueOptions>>().Value;

        Assert.Equal("*/30 * * * * *", options.Schedule);
        Assert.Equal(TimeSpan.FromSeconds(30), options.ScheduleInterval());
    }

    [Fact]
    public async Task Start_Fails_NamingBothSettings_WhenTheTwoSchedulesDisagree()
    {
        var settings = RunningServer.DefaultSettings(TestEnvironment.PostgresConnectionString, "x:");
        settings[RetryQueueOptions.ScheduleAppSetting] = "*/30 * * * * *";
        settings["RetryQueue:Schedule"] = "*/10 * * * * *";

        var error = await Assert.ThrowsAnyAsync<Exception>(() => RunningServer.StartAsync(settings));

        Assert.Contains("RetryQueue:Schedule", Flatten(error), StringComparison.Ordinal);
        Assert.Contains(RetryQueueOptions.ScheduleAppSetting, Flatten(error), StringComparison.Ordinal);
    }

    [Fact]
    public void RedisConfiguration_KeepsTlsAndPassword_AsAzureGivesThem()
    {
        var configuration = RedisConnectionFactory.BuildConfiguration(new RedisOptions
        {
            ConnectionString = "salesauto.redis.cache.windows.net:6380,password=s3cret,ssl=True,abortConnect=True",
        });

        Assert.True(configuration.Ssl);
        Assert.Equal("s3cret", configuration.Password);
        Assert.False(configuration.AbortOnConnectFail);
        Assert.Equal("salesauto.redis.cache.windows.net:6380", configuration.EndPoints.Single().ToString()!.Replace("Unspecified/", "", StringComparison.Ordinal));
    }

    private static string Flatten(Exception error) => error switch
    {
        AggregateException aggregate => string.Join(" | ", aggregate.InnerExceptions.Select(Flatten)),
        OptionsValidationException validation => string.Join(" | ", validation.Failures) + " " + validation.Message,
        _ => error.Message + (error.InnerException is null ? string.Empty : " | " + Flatten(error.InnerException)),
    };
}
