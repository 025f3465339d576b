using System.Collections.Frozen;
using System.Text.Json;
using SalesAuto.Core.Events;
using SalesAuto.Core.Privacy;

namespace SalesAuto.Core.Webhooks.Sources;

/// <summary>
/// One kind of webhook source (<c>Webhooks:Sources:{name}:Kind</c>): everything that differs from
/// provider to provider, in one place. How a delivery proves where it comes from, the 401 challenge
/// that names that method, the secrets' form, how one event of the body becomes a canonical event,
/// and anything a delivery asks for beyond storing its events. Reading the body, framing the JSON,
/// storing and parking are shared by every source (<see cref="WebhookEndpoints"/> and <see cref="WebhookIntake"/>, <see cref="WebhookParser"/>).
/// </summary>
/// <remarks>
/// Adding a provider is one folder beside <c>HubSpot/</c>, <c>Lemlist/</c> and <c>StandardWebhooks/</c>
/// holding a subclass, plus its <see cref="WebhookSourceKind"/> member and its line in
/// <see cref="WebhookSources.All"/> (a test refuses a kind without a source). Subclasses are stateless
/// singletons: per-delivery state arrives in <see cref="WebhookDelivery"/>.
/// </remarks>
internal abstract class WebhookSource
{
    /// <summary>The <c>Kind</c> setting that selects this source.</summary>
    public abstract WebhookSourceKind Kind { get; }

    /// <summary>The auth-scheme of the 401 challenge (<see cref="WebhookChallenge"/>), naming the verification method.</summary>
    public abstract string ChallengeScheme { get; }

    /// <summary>The challenge's parameters after <c>realm</c>: where the method reads its credentials.</summary>
    public abstract string ChallengeParameters { get; }

    /// <summary>
    /// Provider type to canonical type (ordinal, case-sensitive, as the provider sends them); empty when
    /// the provider sends canonical types. docs/webhooks.md's mapping table lists the same rows.
    /// </summary>
    public virtual IReadOnlyDictionary<string, string> TypeMap => FrozenDictionary<string, string>.Empty;

    /// <summary>False when a body must be a JSON array of events, never a single event object.</summary>
    public virtual bool AcceptsSingleEvent => true;

    /// <summary>
    /// What is wrong with one configured secret, as the end of a sentence naming the setting (<c>must be ...</c>);
    /// null when it has this source's form. Called at start-up, after the length check common to all sources.
    /// </summary>
    public virtual string? CheckSecret(string secret) => null;

    /// <summary>
    /// Whether <paramref name="delivery"/> comes from this source. Every configured secret is tried, with
    /// constant-time comparisons, whatever matched before: neither the time taken nor the answer tells
    /// which secret matched or how close a guess came.
    /// </summary>
    public abstract VerificationResult Verify(WebhookDelivery delivery);

    /// <summary>
    /// One event of a verified body: <paramref name="element"/> is a JSON object that Postgres accepts as
    /// jsonb. Returns null and the event, or what is wrong as a sentence that names fields, never values
    /// other than the event type.
    /// </summary>
    public abstract string? ParseEvent(string sourceName, JsonElement element, out CanonicalEvent? parsed);

    /// <summary>
    /// The people a delivery asks to erase before its events are stored (a CRM's privacy deletion), each once;
    /// empty for most sources.
    /// </summary>
    public virtual IReadOnlyList<PersonIdentifier> PeopleToErase(IReadOnlyList<CanonicalEvent> events) => [];

    /// <summary>The canonical type of a provider type, or the type itself when it has none (never an error).</summary>
    public string CanonicalType(string providerType)
    {
        ArgumentNullException.ThrowIfNull(providerType);
        return TypeMap.TryGetValue(providerType, out var canonical) ? canonical : providerType;
    }
}
