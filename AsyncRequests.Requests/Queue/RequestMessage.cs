using System.Text.Json;
using System.Text.Json.Serialization;
using AsyncRequests.Requests.Storage;

namespace AsyncRequests.Requests.Queue;

/// <summary>
/// The queue message body. It only points at the stored request: the database row is the source
/// of truth for the input, so a duplicate or stale message can never carry different work. It names
/// the request's client too (as <c>client</c>), so the Processor can cap each client's handlers before
/// it reads the row; a message sent before clients existed has none and means <see cref="ApiClient.AnonymousId"/>.
/// </summary>
public sealed record RequestMessage(Guid RequestId, string Type, [property: JsonPropertyName("client")] string ClientId = ApiClient.AnonymousId)
{
    public string ToJson() => JsonSerializer.Serialize(this, QueueJsonContext.Default.RequestMessage);

    /// <summary>Reads a message body; null when it is not a message of ours.</summary>
    public static RequestMessage? TryParse(string body)
    {
        try
        {
            var message = JsonSerializer.Deserialize(body, QueueJsonContext.Default.RequestMessage);
            return message switch
            {
                null or { Type: not { Length: > 0 } } => null,
                { RequestId: var id } when id == Guid.Empty => null,
                { ClientId: not { Length: > 0 } } => message with { ClientId = ApiClient.AnonymousId },
                _ => message,
            };
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
