using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace SalesAuto.Bench.Infrastructure;

/// <summary>
/// Valid provider deliveries, signed as the providers sign them, independently of SalesAuto's own
/// verification code: Lemlist (a shared token in the target URL) and HubSpot signature v3
/// (HMAC-SHA256 over method + URI + body + timestamp, Base64;
/// https://developers.hubspot.com/docs/api/webhooks/validating-requests).
/// </summary>
internal static class Webhooks
{
    public const string LemlistSource = "lemlist";
    public const string LemlistToken = "bench-lemlist-token-0123456789";
    public const string HubSpotSource = "hubspot";
    public const string HubSpotSecret = "bench-hubspot-client-secret-0123456789";
    public const string AdminKey = "bench-admin-key-0123456789abcdef";

    /// <summary>The public base URL the server is told (Webhooks:PublicBaseUrl) and HubSpot signs.</summary>
    public const string PublicBaseUrl = "https://bench.salesauto.invalid";

    private static readonly string[] LemlistTypes = ["emailsSent", "emailsOpened", "emailsClicked", "emailsReplied"];

    /// <summary>The suppression list's hash key (Privacy:HashKeys:0) of every bench server.</summary>
    public const string PrivacyHashKey = "bench-privacy-hash-key-0123456789abcdef";

    /// <summary>The server settings (as environment variables) that make the two sources and the admin key exist.</summary>
    public static Dictionary<string, string> ServerSettings() => new()
    {
        ["Webhooks__Sources__lemlist__Kind"] = "Lemlist",
        ["Webhooks__Sources__lemlist__Secrets__0"] = LemlistToken,
        ["Webhooks__Sources__hubspot__Kind"] = "HubSpot",
        ["Webhooks__Sources__hubspot__Secrets__0"] = HubSpotSecret,
        ["Webhooks__PublicBaseUrl"] = PublicBaseUrl,
        ["Admin__Keys__bench"] = AdminKey,
        ["Privacy__HashKeys__0"] = PrivacyHashKey,
        ["Admin__RateLimit__PermitLimit"] = "1000000",
    };

    /// <summary>One Lemlist activity, as Lemlist posts it.</summary>
    public static string LemlistActivity(string id, string campaignId, string email, long n) => string.Create(CultureInfo.InvariantCulture,
        $$"""{"_id":"{{id}}","type":"{{LemlistTypes[n % LemlistTypes.Length]}}","createdAt":"{{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ}}","teamId":"tea_bench","campaignId":"{{campaignId}}","campaignName":"Bench campaign","leadId":"lea_{{n}}","leadEmail":"{{email}}","leadFirstName":"Lead","sendUserEmail":"rep@bench.example","sequenceStep":1,"isFirst":false,"emailId":"eml_{{n}}"}""");

    public static HttpRequestMessage Lemlist(string body) => new(HttpMethod.Post, $"/api/webhooks/{LemlistSource}?token={LemlistToken}")
    {
        Content = Json(body),
    };

    /// <summary>A HubSpot batch: <paramref name="count"/> contact.propertyChange events for the given CRM contact ids.</summary>
    public static string HubSpotBatch(long firstEventId, Func<int, long> objectIdOf, int count)
    {
        var text = new StringBuilder(count * 260).Append('[');
        var occurredAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (var i = 0; i < count; i++)
        {
            if (i > 0)
            {
                text.Append(',');
            }

            text.Append(CultureInfo.InvariantCulture,
                $$"""{"eventId":{{firstEventId + i}},"subscriptionId":2301445,"portalId":62515,"appId":1160452,"occurredAt":{{occurredAt}},"subscriptionType":"contact.propertyChange","attemptNumber":0,"objectId":{{objectIdOf(i)}},"propertyName":"lifecyclestage","propertyValue":"salesqualifiedlead","changeSource":"CRM"}""");
        }

        return text.Append(']').ToString();
    }

    public static HttpRequestMessage HubSpot(string body)
    {
        var path = $"/api/webhooks/{HubSpotSource}";
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        var signed = $"POST{PublicBaseUrl}{path}{body}{timestamp}";
        var signature = Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(HubSpotSecret), Encoding.UTF8.GetBytes(signed)));
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = Json(body) };
        request.Headers.Add("X-HubSpot-Signature-v3", signature);
        request.Headers.Add("X-HubSpot-Request-Timestamp", timestamp);
        return request;
    }

    public static HttpRequestMessage Enrollment(string campaignId, string email, string? crmContactId)
    {
        var crm = crmContactId is null ? "null" : $"\"{crmContactId}\"";
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/enrollments")
        {
            Content = Json($$"""{"campaignId":"{{campaignId}}","email":"{{email}}","crmContactId":{{crm}}}"""),
        };
        request.Headers.Add("x-functions-key", AdminKey);
        return request;
    }

    public static StringContent Json(string body) => new(body, new MediaTypeHeaderValue("application/json"));
}
