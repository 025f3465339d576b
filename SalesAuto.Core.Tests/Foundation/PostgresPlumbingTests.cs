using Npgsql;
using SalesAuto.Core.Postgres;
using SalesAuto.Core.Tests.Infrastructure;

namespace SalesAuto.Core.Tests.Foundation;

public sealed class PostgresPlumbingTests(PostgresSchema schema) : IClassFixture<PostgresSchema>
{
    [Fact]
    public async Task StatementTimeout_CancelsQuery_WhenItRunsLongerThanConfigured()
    {
        var options = new PostgresOptions { ConnectionString = schema.ConnectionString, StatementTimeout = TimeSpan.FromMilliseconds(200) };
        await using var dataSource = PostgresDataSourceFactory.Create(options);
        await using var command = dataSource.CreateCommand("select pg_sleep(2)");

        var error = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync(TestContext.Token));

        Assert.Equal(PostgresErrorCodes.QueryCanceled, error.SqlState);
        Assert.Contains("statement timeout", error.MessageText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connections_CarryBothTimeouts_FromSettings()
    {
        var options = new PostgresOptions
        {
            ConnectionString = schema.ConnectionString,
            StatementTimeout = TimeSpan.FromMilliseconds(1234),
            IdleInTransactionTimeout = TimeSpan.FromMilliseconds(4321),
        };
        await using var dataSource = PostgresDataSourceFactory.Create(options);
        await using var command = dataSource.CreateCommand("select current_setting('statement_timeout'), current_setting('idle_in_transaction_session_timeout')");
        await using var reader = await command.ExecuteReaderAsync(TestContext.Token);
        Assert.True(await reader.ReadAsync(TestContext.Token));

        Assert.Equal("1234ms", reader.GetString(0));
        Assert.Equal("4321ms", reader.GetString(1));
    }

    [Theory]
    [InlineData("", 20)]
    [InlineData(";Max Auto Prepare=5", 5)]
    public void DataSource_PreparesHotStatements_UnlessTheConnectionStringSaysOtherwise(string extra, int expected)
    {
        using var dataSource = PostgresDataSourceFactory.Create(new PostgresOptions { ConnectionString = schema.ConnectionString + extra });

        Assert.Equal(expected, new NpgsqlConnectionStringBuilder(dataSource.ConnectionString).MaxAutoPrepare);
    }

    [Fact]
    public void DataSource_PreparesNothing_WhenMaxAutoPrepareIsZero()
    {
        using var dataSource = PostgresDataSourceFactory.Create(new PostgresOptions { ConnectionString = schema.ConnectionString, MaxAutoPrepare = 0 });

        Assert.Equal(0, new NpgsqlConnectionStringBuilder(dataSource.ConnectionString).MaxAutoPrepare);
    }

    [Fact]
    public async Task Defaults_AreTenAndThirtySeconds()
    {
        await using var command = schema.DataSource.CreateCommand("select current_setting('statement_timeout'), current_setting('idle_in_transaction_session_timeout')");
        await using var reader = await command.ExecuteReaderAsync(TestContext.Token);
        Assert.True(await reader.ReadAsync(TestContext.Token));

        Assert.Equal("10s", reader.GetString(0));
        Assert.Equal("30s", reader.GetString(1));
    }

    [Fact]
    public async Task IdleInTransactionTimeout_EndsSession_WhenTransactionSitsIdle()
    {
        var options = new PostgresOptions { ConnectionString = schema.ConnectionString, IdleInTransactionTimeout = TimeSpan.FromMilliseconds(300) };
        await using var dataSource = PostgresDataSourceFactory.Create(options);
        await using var connection = await dataSource.OpenConnectionAsync(TestContext.Token);
        await using var transaction = await connection.BeginTransactionAsync(TestContext.Token);
        await using (var first = new NpgsqlCommand("select 1", connection, transaction))
        {
            await first.ExecuteScalarAsync(TestContext.Token);
        }

        // Wait for what Postgres decides (the backend of the idle transaction is gone), not for a margin.
        var pid = connection.ProcessID;
        await using (var admin = new NpgsqlConnection(TestEnvironment.PostgresConnectionString))
        {
            await admin.OpenAsync(TestContext.Token);
            await using var alive = new NpgsqlCommand("select count(*) from pg_stat_activity where pid = @pid", admin);
            alive.Parameters.AddWithValue("pid", pid);
            var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
            while ((long)(await alive.ExecuteScalarAsync(TestContext.Token))! > 0)
            {
                Assert.True(DateTimeOffset.UtcNow < deadline, "Postgres did not end the idle transaction's session within 30 s");
                await Task.Delay(50, TestContext.Token);
            }
        }

        await using var second = new NpgsqlCommand("select 1", connection, transaction);

        var error = await Assert.ThrowsAnyAsync<NpgsqlException>(() => second.ExecuteScalarAsync(TestContext.Token));
        Assert.True(error is PostgresException { SqlState: "25P03" }, $"want SQLSTATE 25P03 (idle_in_transaction_session_timeout), got {error}");
    }

    [Fact]
    public async Task Migrations_AreIdempotent_WhenRunAgain()
    {
        var migrator = new PostgresMigrator(Microsoft.Extensions.Options.Options.Create(schema.Options), Microsoft.Extensions.Logging.Abstractions.NullLogger<PostgresMigrator>.Instance);

        var second = await migrator.MigrateAsync(TestContext.Token);
        var third = await migrator.MigrateAsync(TestContext.Token);

        Assert.Empty(second);
        Assert.Empty(third);
        await using var command = schema.DataSource.CreateCommand(
            "select count(*) from information_schema.tables where table_schema = current_schema() and table_name in ('campaigns','enrollments','campaign_events','dead_letters','audit_log')");
        Assert.Equal(5L, await command.ExecuteScalarAsync(TestContext.Token));
    }

    [Fact]
    public async Task Migrations_CreateTheIdempotencyKeys()
    {
        await using var command = schema.DataSource.CreateCommand(
            "select conname from pg_constraint c join pg_namespace n on n.oid = c.connamespace where n.nspname = current_schema() and contype = 'u' order by conname");
        var names = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(TestContext.Token);
        while (await reader.ReadAsync(TestContext.Token))
        {
            names.Add(reader.GetString(0));
        }

        Assert.Equal(["campaign_events_source_event_key", "dead_letters_source_event_key", "enrollments_campaign_email_key"], names);
    }

    [Fact]
    public async Task ConcurrentMigrations_TakeTurns_AndApplyOnce()
    {
        var fresh = new PostgresSchema("concurrent");
        await using (var admin = new NpgsqlConnection(TestEnvironment.PostgresConnectionString))
        {
            await admin.OpenAsync(TestContext.Token);
            await using var create = new NpgsqlCommand($"create schema {fresh.Name}", admin);
            await create.ExecuteNonQueryAsync(TestContext.Token);
        }

        try
        {
            var migrators = Enumerable.Range(0, 3).Select(_ => new PostgresMigrator(Microsoft.Extensions.Options.Options.Create(fresh.Options), Microsoft.Extensions.Logging.Abstractions.NullLogger<PostgresMigrator>.Instance));
            var results = await Task.WhenAll(migrators.Select(m => m.MigrateAsync(TestContext.Token)));

            Assert.Equal(1, results.Count(r => r.Count > 0));
        }
        finally
        {
            await using var admin = new NpgsqlConnection(TestEnvironment.PostgresConnectionString);
            await admin.OpenAsync(TestContext.Token);
            await using var drop = new NpgsqlCommand($"drop schema {fresh.Name} cascade", admin);
            await drop.ExecuteNonQueryAsync(TestContext.Token);
        }
    }

    // The Functions worker migrates before it connects to the host: its wait for another
    // instance's migration must end within Postgres:MigrationLockTimeout, with a sentence.
    [Fact]
    public async Task Migrate_GivesUpNamingTheSetting_WhenAnotherInstanceHoldsTheLockPastTheTimeout()
    {
        var options = new PostgresOptions { ConnectionString = schema.ConnectionString, MigrationLockTimeout = TimeSpan.FromMilliseconds(300) };
        var migrator = new PostgresMigrator(Microsoft.Extensions.Options.Options.Create(options), Microsoft.Extensions.Logging.Abstractions.NullLogger<PostgresMigrator>.Instance);
        await using var other = new NpgsqlConnection(TestEnvironment.PostgresConnectionString);
        await other.OpenAsync(TestContext.Token);
        await using (var take = new NpgsqlCommand("select pg_advisory_lock(91539934627666)", other)) // PostgresMigrator's key, 0x5341_4D49_4752
        {
            await take.ExecuteNonQueryAsync(TestContext.Token);
        }

        var error = await Assert.ThrowsAsync<MigrationLockTimeoutException>(() => migrator.MigrateAsync(TestContext.Token));
        await using (var release = new NpgsqlCommand("select pg_advisory_unlock(91539934627666)", other))
        {
            Assert.True((bool)(await release.ExecuteScalarAsync(TestContext.Token))!, "the test did not hold the migration lock it took");
        }

        Assert.Contains("Postgres:MigrationLockTimeout", error.Message, StringComparison.Ordinal);
        Assert.Empty(await migrator.MigrateAsync(TestContext.Token)); // free again: it migrates (nothing left to apply)
    }
}

public sealed class PostgresRetryTests(PostgresSchema schema) : IClassFixture<PostgresSchema>
{
    [Theory]
    [InlineData("40001")]
    [InlineData("40P01")]
    public async Task ExecuteAsync_RunsAgain_WhenSerializationFailureOrDeadlock(string sqlState)
    {
        var calls = 0;
        var result = await PostgresRetry.ExecuteAsync(_ =>
        {
            calls++;
            return calls < 3 ? throw new PostgresException("conflict", "ERROR", "ERROR", sqlState) : Task.FromResult(42);
        }, TestContext.Token);

        Assert.Equal(42, result);
        Assert.Equal(3, calls);
    }

    [Fact]
    public async Task ExecuteAsync_DoesNotRetry_WhenErrorIsPermanent()
    {
        var calls = 0;
        await Assert.ThrowsAsync<PostgresException>(() => PostgresRetry.ExecuteAsync<int>(_ =>
        {
            calls++;
            throw new PostgresException("duplicate", "ERROR", "ERROR", PostgresErrorCodes.UniqueViolation);
        }, TestContext.Token));

        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task ExecuteAsync_GivesUp_AfterMaxTries()
    {
        var calls = 0;
        await Assert.ThrowsAsync<PostgresException>(() => PostgresRetry.ExecuteAsync<int>(_ =>
        {
            calls++;
            throw new PostgresException("conflict", "ERROR", "ERROR", PostgresErrorCodes.SerializationFailure);
        }, TestContext.Token));

        Assert.Equal(PostgresRetry.MaxTries, calls);
    }

    [Fact]
    public async Task ExecuteAsync_RecoversFromARealDeadlock()
    {
        await using (var setup = schema.DataSource.CreateCommand("create table deadlock_probe (id int primary key, v int); insert into deadlock_probe values (1, 0), (2, 0);"))
        {
            await setup.ExecuteNonQueryAsync(TestContext.Token);
        }

        using var bothHoldFirstLock = new Barrier(2);
        async Task<int> Transfer(int first, int second, bool meetTheOther, CancellationToken token)
        {
            await using var connection = await schema.DataSource.OpenConnectionAsync(token);
            await using var transaction = await connection.BeginTransactionAsync(token);
            await using (var a = new NpgsqlCommand($"update deadlock_probe set v = v + 1 where id = {first}", connection, transaction))
            {
                await a.ExecuteNonQueryAsync(token);
            }

            // Only the first try of each waits for the other, so the retry runs alone.
            if (meetTheOther)
            {
                bothHoldFirstLock.SignalAndWait(TimeSpan.FromSeconds(5), token);
            }

            await using (var b = new NpgsqlCommand($"update deadlock_probe set v = v + 1 where id = {second}", connection, transaction))
            {
                await b.ExecuteNonQueryAsync(token);
            }

            await transaction.CommitAsync(token);
            return 1;
        }

        Task<int> Run(int first, int second)
        {
            var tries = 0;
            return Task.Run(() => PostgresRetry.ExecuteAsync(t => Transfer(first, second, ++tries == 1, t), TestContext.Token));
        }

        var results = await Task.WhenAll(Run(1, 2), Run(2, 1));

        Assert.Equal([1, 1], results);
        await using var check = schema.DataSource.CreateCommand("select sum(v) from deadlock_probe");
        Assert.Equal(4L, await check.ExecuteScalarAsync(TestContext.Token));
    }
}
