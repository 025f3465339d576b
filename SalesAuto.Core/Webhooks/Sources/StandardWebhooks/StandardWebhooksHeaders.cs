using Microsoft.AspNetCore.Http;

namespace SalesAuto.Core.Webhooks.Sources.StandardWebhooks;

/// <summary>
/// The three header names of a Standard Webhooks delivery: the standard's own (<c>webhook-*</c>) or
/// Svix's (<c>svix-*</c>). One family is read per delivery, never a mix.
/// </summary>
internal sealed record StandardWebhooksHeaders(string Id, string Timestamp, string Signature)
{
    /// <summary>
    /// The standard's family when all three of its headers are present, else Svix's when all three
    /// of those are; otherwise the family the sender started to use (the standard's when it sent
    /// neither), so the 401 names the header that is missing from it.
    /// </summary>
    public static StandardWebhooksHeaders Choose(HttpRequest request, StandardWebhooksHeaders standard, StandardWebhooksHeaders svix)
    {
        if (standard.AllPresent(request))
        {
            return standard;
        }

        if (svix.AllPresent(request))
        {
            return svix;
        }

        return !standard.AnyPresent(request) && svix.AnyPresent(request) ? svix : standard;
    }

    private bool AllPresent(HttpRequest request) => Names.All(name => request.Headers.ContainsKey(name));

    private bool AnyPresent(HttpRequest request) => Names.Any(name => request.Headers.ContainsKey(name));

    private string[] Names => [Id, Timestamp, Signature];
}
