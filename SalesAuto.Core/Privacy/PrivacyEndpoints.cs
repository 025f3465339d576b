using System.Diagnostics.CodeAnalysis;
using System.Net.Mail;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using SalesAuto.Core.Http;

namespace SalesAuto.Core.Privacy;

/// <summary>
/// <c>POST /api/privacy/export</c> and <c>POST /api/privacy/erase</c> (docs/admin-api.md), shared by
/// both hosts; Core checks the key before calling. The person is named in the body, never in the
/// URL, so the email stays out of access logs. Every client mistake is a 400 naming the member; a
/// person SalesAuto knows nothing about is a 200 with zero counts, like any other.
/// </summary>
internal sealed class PrivacyEndpoints(PrivacyExporter exporter, PrivacyEraser eraser)
{
    /// <summary>The longest email accepted (RFC 5321's path limit, as enrollments).</summary>
    public const int MaxEmailLength = 320;

    /// <summary>The longest CRM contact id accepted (as enrollments).</summary>
    public const int MaxCrmContactIdLength = 200;

    private static readonly string[] ExportMembers = ["email", "crmContactId"];

    private static readonly string[] EraseMembers = ["email", "crmContactId", "dryRun"];

    /// <summary><c>POST /api/privacy/export</c> <c>{"email":...}</c> or <c>{"crmContactId":...}</c>: the streamed document.</summary>
    public async Task<IResult> ExportAsync(HttpContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var body = await JsonRequestBody.ReadObjectAsync(context.Request, JsonRequestBody.DefaultMaxBytes, cancellationToken).ConfigureAwait(false);
        if (!body.IsValid)
        {
            return body.Problem;
        }

        if (JsonRequestBody.TryRejectUnknownMembers(body.Body, ExportMembers, out var problem) || !TryParsePerson(body.Body, out var person, out problem))
        {
            return problem;
        }

        return await exporter.ExportAsync(person, AdminKeyValidator.Caller(context), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>POST /api/privacy/erase</c> <c>{"email":...}</c> or <c>{"crmContactId":...}</c>, optional
    /// <c>"dryRun":true</c>: <c>{"dryRun","found","postgres":{"enrollments","events","deadLetters"},"redis":{"orphans"}}</c>.
    /// </summary>
    public async Task<IResult> EraseAsync(HttpContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var body = await JsonRequestBody.ReadObjectAsync(context.Request, JsonRequestBody.DefaultMaxBytes, cancellationToken).ConfigureAwait(false);
        if (!body.IsValid)
        {
            return body.Problem;
        }

        var root = body.Body;
        if (JsonRequestBody.TryRejectUnknownMembers(root, EraseMembers, out var problem) || !TryParsePerson(root, out var person, out problem))
        {
            return problem;
        }

        var dryRun = false;
        if (root.TryGetProperty("dryRun", out var flag) && flag.ValueKind != JsonValueKind.Null)
        {
            if (flag.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                return Problems.BadRequest($"'dryRun' must be true or false; it is {JsonText.Describe(flag)}.");
            }

            dryRun = flag.GetBoolean();
        }

        var result = await eraser.EraseAsync(person, dryRun, AdminKeyValidator.Caller(context), cancellationToken).ConfigureAwait(false);
        context.Response.Headers.CacheControl = "no-store";
        return Results.Json(result, JsonDefaults.Options);
    }

    /// <summary>
    /// Exactly one of <c>email</c> (a valid address, lower-cased as every store keeps it) and
    /// <c>crmContactId</c>; each a string of valid Unicode without NUL, given once. Details name the
    /// member, never quote the value (it is personal data).
    /// </summary>
    internal static bool TryParsePerson(JsonElement root, out PersonIdentifier person, [NotNullWhen(false)] out ProblemResult? problem)
    {
        person = default;
        foreach (var group in root.EnumerateObject().GroupBy(member => member.Name, StringComparer.Ordinal))
        {
            if (group.Count() > 1)
            {
                problem = Problems.BadRequest($"'{JsonText.Truncate(group.Key)}' is given more than once.");
                return false;
            }
        }

        var hasEmail = root.TryGetProperty("email", out var email) && email.ValueKind != JsonValueKind.Null;
        var hasCrm = root.TryGetProperty("crmContactId", out var crm) && crm.ValueKind != JsonValueKind.Null;
        if (hasEmail == hasCrm)
        {
            problem = Problems.BadRequest(hasEmail
                ? "Give either 'email' or 'crmContactId', not both: erase and export act on one identifier (its linked identifiers are found from it)."
                : "'email' or 'crmContactId' is required.");
            return false;
        }

        var name = hasEmail ? "email" : "crmContactId";
        var element = hasEmail ? email : crm;
        var max = hasEmail ? MaxEmailLength : MaxCrmContactIdLength;
        if (element.ValueKind != JsonValueKind.String)
        {
            problem = Problems.BadRequest($"'{name}' must be a string; it is {JsonText.Describe(element)}.");
            return false;
        }

        if (!JsonText.TryGetString(element, out var text) || !JsonText.IsStorable(text))
        {
            problem = Problems.BadRequest($"'{name}' contains a NUL character or invalid Unicode (a lone surrogate).");
            return false;
        }

        if (text.Length is 0 || text.Length > max || string.IsNullOrWhiteSpace(text))
        {
            problem = Problems.BadRequest($"'{name}' must be 1 to {max} characters, not only whitespace; it has {text.Length}.");
            return false;
        }

        if (hasCrm)
        {
            person = PersonIdentifier.CrmContact(text);
            problem = null;
            return true;
        }

        var lower = text.ToLowerInvariant();
        if (lower.Length < 3 || !MailAddress.TryCreate(lower, out var parsed) || parsed.Address != lower)
        {
            problem = Problems.BadRequest("'email' is not a valid email address (such as ann@example.com, without a display name or spaces).");
            return false;
        }

        person = PersonIdentifier.Email(lower);
        problem = null;
        return true;
    }
}
