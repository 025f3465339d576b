using System.Text.Json;
using SalesAuto.Core.Http;

namespace SalesAuto.Core.Enrollments;

/// <summary>
/// The body of <c>POST /api/enrollments</c>, validated: ids trimmed and storable (no NUL, no lone
/// surrogate), the email normalised by the one rule (<see cref="EmailAddress"/>).
/// </summary>
/// <param name="CampaignId">The provider's campaign id.</param>
/// <param name="Email">The lower-cased email.</param>
/// <param name="CrmContactId">The CRM contact id, when given.</param>
/// <param name="CampaignName">The campaign's display name, when given.</param>
internal sealed record EnrollmentRequest(string CampaignId, string Email, string? CrmContactId, string? CampaignName)
{
    /// <summary>The longest campaign or CRM contact id accepted.</summary>
    public const int MaxIdLength = 200;

    /// <summary>The longest campaign name accepted.</summary>
    public const int MaxNameLength = 500;

    /// <summary>
    /// Binds the request from a JSON object with the input kit's readers: the request, or the 400
    /// naming the first member that is wrong. Members it does not know are ignored, as they always
    /// were on this route (the dead-letter and privacy bodies refuse them).
    /// </summary>
    public static EnrollmentRequest? Bind(JsonElement body, out ProblemResult? problem)
    {
        problem = new[]
        {
            JsonRequestBody.RequiredString(body, "campaignId", MaxIdLength, out var campaignId),
            JsonRequestBody.RequiredEmail(body, "email", out var email),
            JsonRequestBody.OptionalString(body, "crmContactId", MaxIdLength, out var crmContactId),
            JsonRequestBody.OptionalString(body, "campaignName", MaxNameLength, out var campaignName, identifier: false),
        }.FirstOrDefault(p => p is not null);
        return problem is null ? new EnrollmentRequest(campaignId, email, crmContactId, campaignName) : null;
    }
}
