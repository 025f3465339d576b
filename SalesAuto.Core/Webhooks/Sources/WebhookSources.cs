using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using SalesAuto.Core.Webhooks.Sources.HubSpot;
using SalesAuto.Core.Webhooks.Sources.Lemlist;
using SalesAuto.Core.Webhooks.Sources.StandardWebhooks;

namespace SalesAuto.Core.Webhooks.Sources;

/// <summary>Every webhook source SalesAuto knows, by <see cref="WebhookSourceKind"/>.</summary>
internal static class WebhookSources
{
    /// <summary>Every source, in the order settings errors and the documentation name them.</summary>
    public static IReadOnlyList<WebhookSource> All { get; } =
    [
        HubSpotSource.Instance,
        LemlistSource.Instance,
        StandardWebhooksSource.Instance,
    ];

    private static readonly FrozenDictionary<WebhookSourceKind, WebhookSource> ByKind = All.ToFrozenDictionary(source => source.Kind);

    /// <summary>The kinds a setting may name, for an error sentence: <c>HubSpot, Lemlist or StandardWebhooks</c>.</summary>
    public static string KindNames { get; } =
        string.Join(", ", All.SkipLast(1).Select(source => source.Kind.ToString())) + " or " + All[^1].Kind;

    /// <summary>The source of <paramref name="kind"/>; false for <see cref="WebhookSourceKind.None"/> or an undefined value.</summary>
    public static bool TryGet(WebhookSourceKind kind, [NotNullWhen(true)] out WebhookSource? source) => ByKind.TryGetValue(kind, out source);

    /// <summary>The source of <paramref name="kind"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="kind"/> is <see cref="WebhookSourceKind.None"/> or undefined (options validation refuses both at start-up).</exception>
    public static WebhookSource For(WebhookSourceKind kind) =>
        TryGet(kind, out var source) ? source : throw new ArgumentOutOfRangeException(nameof(kind), kind, "A webhook source kind is required.");
}
