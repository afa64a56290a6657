using System.Text.Json.Serialization;

namespace AsyncRequests.Contracts;

/// <summary>Where the webhook of a request with a callback URL is: waiting or retrying, delivered, or given up.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<WebhookState>))]
public enum WebhookState
{
    [JsonStringEnumMemberName("pending")] Pending,
    [JsonStringEnumMemberName("delivered")] Delivered,
    [JsonStringEnumMemberName("failed")] Failed,
}

public static class WebhookStateExtensions
{
    /// <summary>The lowercase name used on the wire and in the database.</summary>
    public static string ToWireName(this WebhookState state) => state switch
    {
        WebhookState.Pending => "pending",
        WebhookState.Delivered => "delivered",
        WebhookState.Failed => "failed",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    public static WebhookState ParseWireName(string name) =>
        Enum.Parse<WebhookState>(name, ignoreCase: true);
}
