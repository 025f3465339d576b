using System.Text.Json;
using System.Text.Json.Serialization;

namespace SalesAuto.Core.Http;

/// <summary>The JSON settings of every SalesAuto body: camelCase, enums as strings, nulls kept.</summary>
internal static class JsonDefaults
{
    /// <summary>The shared options.</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };
}
