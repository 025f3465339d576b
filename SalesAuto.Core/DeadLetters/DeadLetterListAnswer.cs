using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using SalesAuto.Core.Http;

namespace SalesAuto.Core.DeadLetters;

/// <summary>
/// <c>GET /api/dlq</c>'s answer, <c>{"items":[...],"nextCursor":...}</c> and a newline, written
/// member by member with a <see cref="Utf8JsonWriter"/> on the response's pipe: the list is the
/// admin API's hot read, and the reflection-based serializer was most of its per-row cost
/// (docs/benchmarks.md, dead letters at scale). The bytes equal what <see cref="JsonAnswer"/> writes
/// for the same page with <see cref="JsonDefaults.Options"/> (camelCase, enums in camelCase, nulls
/// kept, the default encoder); a test holds the two side by side.
/// </summary>
internal sealed class DeadLetterListAnswer(IReadOnlyList<DeadLetterSummary> items, string? nextCursor) : IResult, IStatusCodeHttpResult
{
    private static readonly JsonEncodedText Items = JsonEncodedText.Encode("items");
    private static readonly JsonEncodedText NextCursor = JsonEncodedText.Encode("nextCursor");
    private static readonly JsonEncodedText Id = JsonEncodedText.Encode("id");
    private static readonly JsonEncodedText Source = JsonEncodedText.Encode("source");
    private static readonly JsonEncodedText EventId = JsonEncodedText.Encode("eventId");
    private static readonly JsonEncodedText Type = JsonEncodedText.Encode("type");
    private static readonly JsonEncodedText CampaignId = JsonEncodedText.Encode("campaignId");
    private static readonly JsonEncodedText Status = JsonEncodedText.Encode("status");
    private static readonly JsonEncodedText FailureReason = JsonEncodedText.Encode("failureReason");
    private static readonly JsonEncodedText Attempts = JsonEncodedText.Encode("attempts");
    private static readonly JsonEncodedText ReplayCount = JsonEncodedText.Encode("replayCount");
    private static readonly JsonEncodedText FirstSeenAt = JsonEncodedText.Encode("firstSeenAt");
    private static readonly JsonEncodedText CreatedAt = JsonEncodedText.Encode("createdAt");
    private static readonly JsonEncodedText UpdatedAt = JsonEncodedText.Encode("updatedAt");
    private static readonly JsonEncodedText ResolvedAt = JsonEncodedText.Encode("resolvedAt");

    /// <inheritdoc />
    public int? StatusCode => StatusCodes.Status200OK;

    /// <inheritdoc />
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json; charset=utf-8";
        await using (var writer = new Utf8JsonWriter(response.BodyWriter))
        {
            Write(writer, items, nextCursor);
        }

        response.BodyWriter.Write(JsonAnswer.Newline.Span);
        await response.BodyWriter.FlushAsync(httpContext.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>Writes the page object (without the newline).</summary>
    internal static void Write(Utf8JsonWriter writer, IReadOnlyList<DeadLetterSummary> items, string? nextCursor)
    {
        writer.WriteStartObject();
        writer.WriteStartArray(Items);
        foreach (var item in items)
        {
            writer.WriteStartObject();
            writer.WriteString(Id, item.Id);
            writer.WriteString(Source, item.Source);
            writer.WriteString(EventId, item.EventId);
            writer.WriteString(Type, item.Type);
            writer.WriteString(CampaignId, item.CampaignId);
            writer.WriteString(Status, item.Status.ToName());
            writer.WriteString(FailureReason, item.FailureReason);
            writer.WriteNumber(Attempts, item.Attempts);
            writer.WriteNumber(ReplayCount, item.ReplayCount);
            writer.WriteString(FirstSeenAt, item.FirstSeenAt);
            writer.WriteString(CreatedAt, item.CreatedAt);
            writer.WriteString(UpdatedAt, item.UpdatedAt);
            if (item.ResolvedAt is { } resolved)
            {
                writer.WriteString(ResolvedAt, resolved);
            }
            else
            {
                writer.WriteNull(ResolvedAt);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteString(NextCursor, nextCursor);
        writer.WriteEndObject();
    }
}
