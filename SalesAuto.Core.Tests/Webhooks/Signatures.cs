using System.Security.Cryptography;
using System.Text;

namespace SalesAuto.Core.Tests.Webhooks;

/// <summary>
/// Signatures computed from the providers' specifications, independently of the production code:
/// HubSpot v3 (https://developers.hubspot.com/docs/api/webhooks/validating-requests) and
/// Standard Webhooks (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md).
/// </summary>
internal static class Signatures
{
    public static string HubSpotV3(string clientSecret, string method, string uri, string body, long timestampMs)
    {
        var source = $"{method}{uri}{body}{timestampMs}";
        return Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(clientSecret), Encoding.UTF8.GetBytes(source)));
    }

    public static string StandardWebhooks(string whsecSecret, string id, long timestampSeconds, string body)
    {
        var key = Convert.FromBase64String(whsecSecret["whsec_".Length..]);
        var signature = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{id}.{timestampSeconds}.{body}"));
        return "v1," + Convert.ToBase64String(signature);
    }
}
