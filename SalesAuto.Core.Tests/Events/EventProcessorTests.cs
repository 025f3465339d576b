using SalesAuto.Core.Enrollments;
using SalesAuto.Core.Events;
using SalesAuto.Core.Tests.Infrastructure;

namespace SalesAuto.Core.Tests.Events;

public sealed class EventProcessorTests(PostgresSchema schema) : IClassFixture<PostgresSchema>
{
    private readonly PostgresEventProcessor _processor = new(schema.DataSource, SalesAuto.Core.Tests.Privacy.TestHasher.Instance, TestCircuits.Create());
    private readonly EnrollmentStore _enrollments = new(schema.DataSource, TestCircuits.Create());

    [Fact]
    public async Task ApplyAsync_AppliesThenReportsDuplicate_WhenSameEventArrivesTwice()
    {
        var campaign = NewId("cam");
        await _enrollments.UpsertAsync(campaign, "ann@example.com", null, null, TestContext.Token);
        var opened = Event(campaign, "ann@example.com", "email.opened");

        var first = await _processor.ApplyAsync([opened], TestContext.Token);
        var second = await _processor.ApplyAsync([opened], TestContext.Token);

        Assert.Equal([EventOutcome.Applied], first);
        Assert.Equal([EventOutcome.Duplicate], second);
        Assert.Equal(1, (await _enrollments.GetStatsAsync(campaign, TestContext.Token))!.Events["email.opened"]);
    }

    [Fact]
    public async Task ApplyAsync_ReportsOrphan_WhenEnrollmentDoesNotExist()
    {
        var outcomes = await _processor.ApplyAsync([Event(NewId("cam"), "nobody@example.com", "email.sent")], TestContext.Token);

        Assert.Equal([EventOutcome.Orphan], outcomes);
    }

    [Fact]
    public async Task ApplyAsync_CountsRepeatsWithinOneBatchAsDuplicates()
    {
        var campaign = NewId("cam");
        await _enrollments.UpsertAsync(campaign, "bob@example.com", null, null, TestContext.Token);
        var sent = Event(campaign, "bob@example.com", "email.sent");
        var clicked = Event(campaign, "bob@example.com", "email.clicked");

        var outcomes = await _processor.ApplyAsync([sent, clicked, sent, sent], TestContext.Token);

        Assert.Equal([EventOutcome.Applied, EventOutcome.Applied, EventOutcome.Duplicate, EventOutcome.Duplicate], outcomes);
    }

    [Fact]
    public async Task ApplyAsync_MatchesByCrmContact_ToTheNewestEnrollment_WhenEventHasNoEmail()
    {
        var older = NewId("cam");
        var newer = NewId("cam");
        var contact = NewId("crm");
        await _enrollments.UpsertAsync(older, "cara@example.com", contact, null, TestContext.Token);
        await Task.Delay(20, TestContext.Token);
        await _enrollments.UpsertAsync(newer, "cara@example.com", contact, null, TestContext.Token);
        var changed = new CanonicalEvent("hubspot", NewId("hs"), "contact.updated", DateTimeOffset.UtcNow, null, null, contact, "{}");

        var outcomes = await _processor.ApplyAsync([changed], TestContext.Token);

        Assert.Equal([EventOutcome.Applied], outcomes);
        Assert.Equal(1, (await _enrollments.GetStatsAsync(newer, TestContext.Token))!.Events["contact.updated"]);
        Assert.Empty((await _enrollments.GetStatsAsync(older, TestContext.Token))!.Events);
    }

    // A batch of one goes through its own statement (scalar parameters), larger batches through
    // the unnest one: every outcome must come out the same from both.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ApplyAsync_DecidesTheSameOutcomes_ForAnEventAloneAndInABatch(bool inBatch)
    {
        var campaign = NewId("cam");
        var contact = NewId("crm");
        await _enrollments.UpsertAsync(campaign, "ida@example.com", contact, null, TestContext.Token);
        var newer = NewId("cam");
        await Task.Delay(20, TestContext.Token);
        await _enrollments.UpsertAsync(newer, "ida.new@example.com", contact, null, TestContext.Token);
        var erased = $"gone{Guid.NewGuid():N}@example.com";
        var erasedContact = NewId("crm");
        await _enrollments.UpsertAsync(campaign, erased, null, null, TestContext.Token);
        await new SalesAuto.Core.Privacy.PostgresPrivacyStore(schema.DataSource, SalesAuto.Core.Tests.Privacy.TestHasher.Instance, new SalesAuto.Core.Audit.PostgresAuditLog(schema.DataSource))
            .SuppressAsync(new SalesAuto.Core.Privacy.PersonIdentifiers([erased], [erasedContact]), TestContext.Token);

        var opened = Event(campaign, "ida@example.com", "email.opened");
        Assert.Equal(EventOutcome.Applied, await ApplyAsync(opened));
        Assert.Equal(EventOutcome.Duplicate, await ApplyAsync(opened));
        // Stored before, and now naming no enrollment: still a duplicate, not an orphan.
        Assert.Equal(EventOutcome.Duplicate, await ApplyAsync(opened with { Email = "someone.else@example.com" }));
        Assert.Equal(EventOutcome.Orphan, await ApplyAsync(Event(campaign, "nobody@example.com", "email.opened")));
        Assert.Equal(EventOutcome.Orphan, await ApplyAsync(Event(NewId("cam"), "ida@example.com", "email.opened")));
        var byContact = new CanonicalEvent("hubspot", NewId("hs"), "contact.updated", DateTimeOffset.UtcNow, null, null, contact, "{}");
        Assert.Equal(EventOutcome.Applied, await ApplyAsync(byContact));
        Assert.Equal(EventOutcome.Orphan, await ApplyAsync(byContact with { EventId = NewId("hs"), CrmContactId = NewId("crm") }));
        // Campaign and email win over the CRM id when the event has both.
        var both = Event(campaign, "ida@example.com", "email.clicked") with { CrmContactId = contact };
        Assert.Equal(EventOutcome.Applied, await ApplyAsync(both));
        Assert.Equal(EventOutcome.Suppressed, await ApplyAsync(Event(campaign, erased, "email.opened")));
        Assert.Equal(EventOutcome.Suppressed, await ApplyAsync(byContact with { EventId = NewId("hs"), CrmContactId = erasedContact }));
        Assert.Equal(EventOutcome.Suppressed, await ApplyAsync(Event(campaign, "ida@example.com", "email.sent") with { CrmContactId = erasedContact }));

        var stats = (await _enrollments.GetStatsAsync(campaign, TestContext.Token))!;
        Assert.Equal(new Dictionary<string, long> { ["email.opened"] = 1, ["email.clicked"] = 1 }, stats.Events);
        Assert.Equal(new Dictionary<string, long> { ["contact.updated"] = 1 }, (await _enrollments.GetStatsAsync(newer, TestContext.Token))!.Events);
        await using var stored = schema.DataSource.CreateCommand("select occurred_at, payload::text from campaign_events where event_id = @id");
        stored.Parameters.AddWithValue("id", opened.EventId);
        await using var reader = await stored.ExecuteReaderAsync(TestContext.Token);
        Assert.True(await reader.ReadAsync(TestContext.Token));
        Assert.Equal(opened.OccurredAt.UtcDateTime, reader.GetDateTime(0), TimeSpan.FromMilliseconds(1));
        Assert.Equal("{}", reader.GetString(1));

        async Task<EventOutcome> ApplyAsync(CanonicalEvent evt)
        {
            // The other event of the batch is an orphan: it stores nothing and changes no statistic.
            var filler = Event(NewId("cam"), "filler@example.com", "email.sent");
            var outcomes = await _processor.ApplyAsync(inBatch ? [filler, evt] : [evt], TestContext.Token);
            Assert.Equal(inBatch ? 2 : 1, outcomes.Count);
            return outcomes[^1];
        }
    }

    [Fact]
    public async Task ApplyAsync_CostsOneRoundTrip_WhateverTheBatchSize()
    {
        var campaign = NewId("cam");
        await _enrollments.UpsertAsync(campaign, "dan@example.com", null, null, TestContext.Token);
        var batch = Enumerable.Range(0, 500).Select(_ => Event(campaign, "dan@example.com", "email.opened")).ToList();
        var orphans = Enumerable.Range(0, 500).Select(i => Event(campaign, $"missing{i}@example.com", "email.opened")).ToList();

        using var counter = new RoundTripCounter();
        var outcomes = await _processor.ApplyAsync([.. batch, .. orphans], TestContext.Token);

        Assert.Equal(1, counter.Count);
        Assert.Equal(500, outcomes.Count(o => o == EventOutcome.Applied));
        Assert.Equal(500, outcomes.Count(o => o == EventOutcome.Orphan));
    }

    [Fact]
    public async Task ApplyAsync_KeepsStatsExact_WhenEightClientsDeliverTheSameEventsConcurrently()
    {
        var campaign = NewId("cam");
        var emails = Enumerable.Range(0, 20).Select(i => $"lead{i}@example.com").ToList();
        foreach (var email in emails)
        {
            await _enrollments.UpsertAsync(campaign, email, null, null, TestContext.Token);
        }

        string[] types = ["email.sent", "email.opened", "email.clicked", "email.replied"];
        var distinct = emails.SelectMany(email => types.Select(type => Event(campaign, email, type))).ToList();

        // Each client sends every event, in its own shuffled order and batch sizes, twice.
        var clients = Enumerable.Range(0, 8).Select(client => Task.Run(async () =>
        {
            var random = new Random(client);
            var applied = 0;
            for (var round = 0; round < 2; round++)
            {
                var order = distinct.OrderBy(_ => random.Next()).ToList();
                for (var i = 0; i < order.Count;)
                {
                    var size = random.Next(1, 12);
                    var outcomes = await _processor.ApplyAsync(order.Skip(i).Take(size).ToList(), TestContext.Token);
                    applied += outcomes.Count(o => o == EventOutcome.Applied);
                    i += size;
                }
            }

            return applied;
        })).ToList();
        var appliedPerClient = await Task.WhenAll(clients);

        Assert.Equal(distinct.Count, appliedPerClient.Sum());
        var stats = (await _enrollments.GetStatsAsync(campaign, TestContext.Token))!;
        Assert.Equal(20, stats.Enrollments);
        Assert.All(types, type => Assert.Equal(20, stats.Events[type]));
        await using var count = schema.DataSource.CreateCommand($"select count(*) from campaign_events where campaign_id = '{campaign}'");
        Assert.Equal((long)distinct.Count, await count.ExecuteScalarAsync(TestContext.Token));
    }

    [Fact]
    public async Task ApplyAsync_StoresUnknownTypesUnderTheirOwnName()
    {
        var campaign = NewId("cam");
        await _enrollments.UpsertAsync(campaign, "eve@example.com", null, null, TestContext.Token);

        await _processor.ApplyAsync([Event(campaign, "eve@example.com", "linkedinVisitDone")], TestContext.Token);

        Assert.Equal(1, (await _enrollments.GetStatsAsync(campaign, TestContext.Token))!.Events["linkedinVisitDone"]);
    }

    [Fact]
    public async Task ApplyAsync_StoresThePayloadAsJson()
    {
        var campaign = NewId("cam");
        await _enrollments.UpsertAsync(campaign, "fay@example.com", null, null, TestContext.Token);
        var evt = Event(campaign, "fay@example.com", "email.replied") with { Payload = """{"id":"x","data":{"sentiment":"positive"}}""" };

        await _processor.ApplyAsync([evt], TestContext.Token);

        await using var command = schema.DataSource.CreateCommand("select payload->'data'->>'sentiment' from campaign_events where event_id = @id");
        command.Parameters.AddWithValue("id", evt.EventId);
        Assert.Equal("positive", await command.ExecuteScalarAsync(TestContext.Token));
    }

    [Fact]
    public async Task ApplyAsync_RunsTheGenericPlan_AndLeavesTheSessionsPlanCacheModeAlone()
    {
        // One connection, so every batch runs on the backend whose prepared statements are read after.
        var options = new SalesAuto.Core.Postgres.PostgresOptions { ConnectionString = schema.ConnectionString + ";Maximum Pool Size=1" };
        await using var dataSource = SalesAuto.Core.Postgres.PostgresDataSourceFactory.Create(options);
        var processor = new PostgresEventProcessor(dataSource, SalesAuto.Core.Tests.Privacy.TestHasher.Instance, TestCircuits.Create());
        var campaign = NewId("cam");
        await _enrollments.UpsertAsync(campaign, "gus@example.com", null, null, TestContext.Token);

        for (var i = 0; i < 8; i++)
        {
            Assert.Equal([EventOutcome.Applied], await processor.ApplyAsync([Event(campaign, "gus@example.com", "email.opened")], TestContext.Token));
            Assert.Equal([EventOutcome.Applied, EventOutcome.Applied], await processor.ApplyAsync(
                [Event(campaign, "gus@example.com", "email.sent"), Event(campaign, "gus@example.com", "email.clicked")], TestContext.Token));
        }

        await using var connection = await dataSource.OpenConnectionAsync(TestContext.Token);
        await using var plans = new Npgsql.NpgsqlCommand(
            "select generic_plans, custom_plans from pg_prepared_statements where statement like '%insert into campaign_events%'", connection);
        var statements = 0;
        await using (var reader = await plans.ExecuteReaderAsync(TestContext.Token))
        {
            while (await reader.ReadAsync(TestContext.Token))
            {
                statements++;
                Assert.True(reader.GetInt64(0) > 0, "generic plans were used");
                Assert.Equal(0L, reader.GetInt64(1));
            }
        }

        Assert.Equal(2, statements); // the statement for one event and the one for a batch

        await using var mode = new Npgsql.NpgsqlCommand("show plan_cache_mode", connection);
        Assert.Equal("auto", await mode.ExecuteScalarAsync(TestContext.Token));
    }

    [Fact]
    public async Task Enrollments_CannotBeDeleted_SinceEventsReferToThemWithoutAForeignKey()
    {
        var campaign = NewId("cam");
        await _enrollments.UpsertAsync(campaign, "hal@example.com", null, null, TestContext.Token);

        foreach (var sql in new[] { $"delete from enrollments where campaign_id = '{campaign}'", "truncate enrollments cascade" })
        {
            await using var command = schema.DataSource.CreateCommand(sql);
            var error = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => command.ExecuteNonQueryAsync(TestContext.Token));
            Assert.Equal(Npgsql.PostgresErrorCodes.RestrictViolation, error.SqlState);
        }

        Assert.Equal(1, (await _enrollments.GetStatsAsync(campaign, TestContext.Token))!.Enrollments);
    }

    [Fact]
    public async Task CampaignEvents_HaveOnlyTheIndexesSomeQueryUses()
    {
        // Each index costs every insert: the idempotency key, the primary key, stats by campaign and
        // type, and export/erase by enrollment. A new one belongs here with the query that needs it.
        await using var command = schema.DataSource.CreateCommand(
            "select indexname from pg_indexes where schemaname = current_schema() and tablename = 'campaign_events' order by indexname");
        var names = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(TestContext.Token);
        while (await reader.ReadAsync(TestContext.Token))
        {
            names.Add(reader.GetString(0));
        }

        Assert.Equal(["campaign_events_campaign_type_idx", "campaign_events_enrollment_id_idx", "campaign_events_pkey", "campaign_events_source_event_key"], names);
    }

    private static CanonicalEvent Event(string campaign, string email, string type) =>
        new("lemlist", NewId("act"), type, DateTimeOffset.UtcNow, campaign, email, null, "{}");

    private static string NewId(string stem) => $"{stem}_{Guid.NewGuid():N}";
}
