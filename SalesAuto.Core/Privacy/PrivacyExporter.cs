using System.IO.Pipelines;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using SalesAuto.Core.Audit;
using SalesAuto.Core.Http;
using SalesAuto.Core.RetryQueue;

namespace SalesAuto.Core.Privacy;

/// <summary>
/// Writes one JSON document of everything held about a person (docs/privacy.md, "Export"):
/// enrollments with their campaigns, events with their payloads, dead letters with payloads and
/// history, orphans parked in Redis, and the audit entries about them. The document is streamed:
/// a <see cref="Utf8JsonWriter"/> on the response's <see cref="PipeWriter"/>, flushed every few kilobytes, fed by data
/// readers that read events <see cref="BatchSize"/> rows at a time (keyset per enrollment), so a
/// person with 100,000 events costs a batch of memory, not the whole document.
/// </summary>
/// <remarks>
/// The parts are read one after the other, not in one snapshot: a webhook that lands during the
/// export may or may not be in it. Once the first byte is sent a failure can no longer become a
/// problem answer: the response is cut short (invalid JSON) and the audit row says "incomplete".
/// </remarks>
internal sealed class PrivacyExporter(
    NpgsqlDataSource dataSource,
    PostgresPrivacyStore store,
    IParkedOrphans orphans,
    PrivacyHasher hasher,
    PostgresAuditLog audit,
    ILogger<PrivacyExporter> logger)
{
    /// <summary>Events read per round trip.</summary>
    public const int BatchSize = 1000;

    // Flushed to the client whenever this much is pending, so the writer's buffer stays small.
    private const int FlushThreshold = 32 * 1024;

    private const string EnrollmentsSql = """
        select n.id, n.campaign_id, c.name, n.email, n.crm_contact_id, n.created_at, n.updated_at
        from enrollments n join campaigns c on c.id = n.campaign_id
        where n.email = any(@emails) or n.crm_contact_id = any(@crms)
        order by n.id
        """;

    private const string EventsSql = """
        select id, source, event_id, campaign_id, type, occurred_at, received_at, payload::text
        from campaign_events
        where enrollment_id = @enrollment_id and id > @after
        order by id
        limit @batch_size
        """;

    private const string DeadLettersSql = """
        select d.id, d.source, d.event_id, d.type, d.campaign_id, d.status, d.failure_reason, d.attempts, d.replay_count,
               d.first_seen_at, d.created_at, d.updated_at, d.resolved_at, d.occurred_at, d.email, d.crm_contact_id, d.payload::text,
               (select coalesce(json_agg(json_build_object('at', a.at, 'actor', a.actor, 'action', a.action, 'outcome', a.outcome, 'detail', a.detail)
                                         order by a.at, a.id), '[]'::json)
                from audit_log a where a.dead_letter_id = d.id)::text
        from dead_letters d
        where d.email = any(@emails) or d.crm_contact_id = any(@crms)
        order by d.created_at, d.id
        """;

    private const string AuditSql = $"select {PostgresAuditLog.SelectColumns} from audit_log where subject = any(@subjects) order by at, id";

    /// <summary>Resolves the person now (a dependency failure still becomes a 503) and returns the result that streams the document.</summary>
    public async Task<IResult> ExportAsync(PersonIdentifier given, string actor, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(actor);
        var person = await store.ResolveAsync(given, cancellationToken).ConfigureAwait(false);
        return new ExportResult(this, given, person, actor);
    }

    /// <summary>Writes the document for <paramref name="person"/> to <paramref name="body"/>, then audits it.</summary>
    internal async Task WriteAsync(PipeWriter body, PersonIdentifier given, PersonIdentifiers person, string actor, CancellationToken cancellationToken)
    {
        var counts = new ExportCounts();
        var outcome = "incomplete";
        try
        {
            // On the pipe, not the stream: the writer never blocks on the network (a serializer's
            // Flush would write synchronously to a stream); FlushAsync sends what is buffered.
            await using (var writer = new Utf8JsonWriter(body))
            {
                var sink = new Sink(writer, body);
                writer.WriteStartObject();
                writer.WriteStartObject("subject");
                writer.WriteString(given.Kind == IdentifierKind.Email ? "email" : "crmContactId", given.Value);
                writer.WriteEndObject();
                writer.WriteString("exportedAt", DateTimeOffset.UtcNow);
                writer.WriteStartObject("identifiers");
                WriteStrings(writer, "emails", person.Emails);
                WriteStrings(writer, "crmContactIds", person.CrmContactIds);
                writer.WriteEndObject();

                var enrollmentIds = await WriteEnrollmentsAsync(sink, person, counts, cancellationToken).ConfigureAwait(false);
                await WriteEventsAsync(sink, enrollmentIds, counts, cancellationToken).ConfigureAwait(false);
                await WriteDeadLettersAsync(sink, person, counts, cancellationToken).ConfigureAwait(false);
                await WriteOrphansAsync(sink, person, counts, cancellationToken).ConfigureAwait(false);
                await WriteAuditAsync(sink, person, counts, cancellationToken).ConfigureAwait(false);

                writer.WritePropertyName("counts");
                JsonSerializer.Serialize(writer, counts, JsonDefaults.Options);
                writer.WriteEndObject();
                await sink.FlushAsync(cancellationToken).ConfigureAwait(false);
            }

            outcome = counts.Total > 0 ? "exported" : "nothing_found";
        }
        finally
        {
            // Audited whatever happened: an export cut short is still a disclosure.
            try
            {
                await audit.WriteAsync([new AuditRecord(actor, AuditActions.Export, outcome, hasher.Current(given), counts)], CancellationToken.None).ConfigureAwait(false);
            }
            catch (NpgsqlException exception)
            {
                Log.AuditFailed(logger, actor, exception.SqlState ?? "none");
            }
        }

        Log.Exported(logger, actor, counts.Enrollments, counts.Events, counts.DeadLetters, counts.Orphans);
    }

    private async Task<List<long>> WriteEnrollmentsAsync(Sink sink, PersonIdentifiers person, ExportCounts counts, CancellationToken cancellationToken)
    {
        var writer = sink.Writer;
        var ids = new List<long>();
        writer.WriteStartArray("enrollments");
        await using (var command = dataSource.CreateCommand(EnrollmentsSql))
        {
            PostgresPrivacyStore.AddIdentifiers(command, person);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                ids.Add(reader.GetInt64(0));
                writer.WriteStartObject();
                writer.WriteNumber("id", reader.GetInt64(0));
                writer.WriteString("campaignId", reader.GetString(1));
                WriteNullableString(writer, "campaignName", reader, 2);
                WriteNullableString(writer, "email", reader, 3);
                WriteNullableString(writer, "crmContactId", reader, 4);
                writer.WriteString("createdAt", reader.GetFieldValue<DateTimeOffset>(5));
                writer.WriteString("updatedAt", reader.GetFieldValue<DateTimeOffset>(6));
                writer.WriteEndObject();
                counts.Enrollments++;
            }
        }

        writer.WriteEndArray();
        return ids;
    }

    private async Task WriteEventsAsync(Sink sink, List<long> enrollmentIds, ExportCounts counts, CancellationToken cancellationToken)
    {
        var writer = sink.Writer;
        writer.WriteStartArray("events");
        foreach (var enrollmentId in enrollmentIds)
        {
            long after = 0;
            while (true)
            {
                var read = 0;
                await using (var command = dataSource.CreateCommand(EventsSql))
                {
                    command.Parameters.Add(new NpgsqlParameter<long>("enrollment_id", enrollmentId));
                    command.Parameters.Add(new NpgsqlParameter<long>("after", after));
                    command.Parameters.Add(new NpgsqlParameter<int>("batch_size", BatchSize));
                    await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        after = reader.GetInt64(0);
                        writer.WriteStartObject();
                        writer.WriteNumber("id", after);
                        writer.WriteNumber("enrollmentId", enrollmentId);
                        writer.WriteString("source", reader.GetString(1));
                        writer.WriteString("eventId", reader.GetString(2));
                        writer.WriteString("campaignId", reader.GetString(3));
                        writer.WriteString("type", reader.GetString(4));
                        writer.WriteString("occurredAt", reader.GetFieldValue<DateTimeOffset>(5));
                        writer.WriteString("receivedAt", reader.GetFieldValue<DateTimeOffset>(6));
                        writer.WritePropertyName("payload");
                        writer.WriteRawValue(reader.GetString(7), skipInputValidation: true);
                        writer.WriteEndObject();
                        read++;
                        counts.Events++;
                        await sink.FlushIfNeededAsync(cancellationToken).ConfigureAwait(false);
                    }
                }

                if (read < BatchSize)
                {
                    break;
                }
            }
        }

        writer.WriteEndArray();
    }

    private async Task WriteDeadLettersAsync(Sink sink, PersonIdentifiers person, ExportCounts counts, CancellationToken cancellationToken)
    {
        var writer = sink.Writer;
        writer.WriteStartArray("deadLetters");
        await using (var command = dataSource.CreateCommand(DeadLettersSql))
        {
            PostgresPrivacyStore.AddIdentifiers(command, person);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                writer.WriteStartObject();
                writer.WriteString("id", reader.GetGuid(0));
                writer.WriteString("source", reader.GetString(1));
                writer.WriteString("eventId", reader.GetString(2));
                writer.WriteString("type", reader.GetString(3));
                WriteNullableString(writer, "campaignId", reader, 4);
                writer.WriteString("status", reader.GetString(5));
                writer.WriteString("failureReason", reader.GetString(6));
                writer.WriteNumber("attempts", reader.GetInt32(7));
                writer.WriteNumber("replayCount", reader.GetInt32(8));
                writer.WriteString("firstSeenAt", reader.GetFieldValue<DateTimeOffset>(9));
                writer.WriteString("createdAt", reader.GetFieldValue<DateTimeOffset>(10));
                writer.WriteString("updatedAt", reader.GetFieldValue<DateTimeOffset>(11));
                WriteNullableTime(writer, "resolvedAt", reader, 12);
                WriteNullableTime(writer, "occurredAt", reader, 13);
                WriteNullableString(writer, "email", reader, 14);
                WriteNullableString(writer, "crmContactId", reader, 15);
                writer.WritePropertyName("payload");
                writer.WriteRawValue(reader.GetString(16), skipInputValidation: true);
                writer.WritePropertyName("history");
                writer.WriteRawValue(reader.GetString(17), skipInputValidation: true);
                writer.WriteEndObject();
                counts.DeadLetters++;
                await sink.FlushIfNeededAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        writer.WriteEndArray();
    }

    private async Task WriteOrphansAsync(Sink sink, PersonIdentifiers person, ExportCounts counts, CancellationToken cancellationToken)
    {
        var writer = sink.Writer;
        writer.WriteStartArray("orphans");
        await foreach (var item in orphans.FindAsync(person, cancellationToken).ConfigureAwait(false))
        {
            var e = item.Event;
            writer.WriteStartObject();
            writer.WriteString("source", e.Source);
            writer.WriteString("eventId", e.EventId);
            writer.WriteString("type", e.Type);
            writer.WriteString("occurredAt", e.OccurredAt);
            writer.WriteString("campaignId", e.CampaignId);
            writer.WriteString("email", e.Email);
            writer.WriteString("crmContactId", e.CrmContactId);
            writer.WriteNumber("attempts", item.Attempts);
            writer.WriteString("firstSeenAt", item.FirstSeenAt);
            writer.WriteString("lastFailure", item.LastFailure);
            writer.WritePropertyName("payload");
            writer.WriteRawValue(e.Payload);
            writer.WriteEndObject();
            counts.Orphans++;
            await sink.FlushIfNeededAsync(cancellationToken).ConfigureAwait(false);
        }

        writer.WriteEndArray();
    }

    private async Task WriteAuditAsync(Sink sink, PersonIdentifiers person, ExportCounts counts, CancellationToken cancellationToken)
    {
        var writer = sink.Writer;
        writer.WriteStartArray("audit");
        await using (var command = dataSource.CreateCommand(AuditSql))
        {
            command.Parameters.Add(new NpgsqlParameter("subjects", NpgsqlDbType.Array | NpgsqlDbType.Bytea)
            {
                Value = person.All.SelectMany(hasher.All).ToArray(),
            });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                JsonSerializer.Serialize(writer, PostgresAuditLog.Read(reader), JsonDefaults.Options);
                counts.Audit++;
                await sink.FlushIfNeededAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        writer.WriteEndArray();
    }

    // The writer and the pipe it writes to, sent on whenever FlushThreshold bytes wait.
    private sealed class Sink(Utf8JsonWriter writer, PipeWriter pipe)
    {
        private long _flushed;

        public Utf8JsonWriter Writer => writer;

        public async ValueTask FlushIfNeededAsync(CancellationToken cancellationToken)
        {
            if (writer.BytesPending + writer.BytesCommitted - _flushed >= FlushThreshold)
            {
                await FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        public async ValueTask FlushAsync(CancellationToken cancellationToken)
        {
            writer.Flush();
            _flushed = writer.BytesCommitted;
            await pipe.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static void WriteStrings(Utf8JsonWriter writer, string name, IReadOnlyList<string> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }

    private static void WriteNullableString(Utf8JsonWriter writer, string name, NpgsqlDataReader reader, int ordinal)
    {
        if (reader.IsDBNull(ordinal))
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, reader.GetString(ordinal));
        }
    }

    private static void WriteNullableTime(Utf8JsonWriter writer, string name, NpgsqlDataReader reader, int ordinal)
    {
        if (reader.IsDBNull(ordinal))
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, reader.GetFieldValue<DateTimeOffset>(ordinal));
        }
    }

    /// <summary>How much the export held; the document's last member and the audit row's detail.</summary>
    internal sealed class ExportCounts
    {
        public long Enrollments { get; set; }

        public long Events { get; set; }

        public long DeadLetters { get; set; }

        public long Orphans { get; set; }

        public long Audit { get; set; }

        [System.Text.Json.Serialization.JsonIgnore]
        public long Total => Enrollments + Events + DeadLetters + Orphans;
    }

    private sealed class ExportResult(PrivacyExporter exporter, PersonIdentifier given, PersonIdentifiers person, string actor) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            ArgumentNullException.ThrowIfNull(httpContext);
            var response = httpContext.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/json; charset=utf-8";
            response.Headers.CacheControl = "no-store";
            return exporter.WriteAsync(response.BodyWriter, given, person, actor, httpContext.RequestAborted);
        }
    }
}
