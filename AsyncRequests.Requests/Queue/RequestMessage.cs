using System.Text.Json;

namespace AsyncRequests.Requests.Queue;

/// <summary>
/// The queue message body. It only points at the stored request: the database row is the source
/// of truth for the input, so a duplicate or stale message can never carry different work.
/// </summary>
public sealed record RequestMessage(Guid RequestId, string Type)
{
    private static readonly JsonSerializerOptions s_options = new(JsonSerializerDefaults.Web);

    public string ToJson() => JsonSerializer.Serialize(this, s_options);

    /// <summary>Reads a message body; null when it is not a message of ours.</summary>
    public static RequestMessage? TryParse(string body)
    {
        try
        {
            var message = JsonSerializer.Deserialize<RequestMessage>(body, s_options);
            return message is { RequestId: var id, Type: { Length: > 0 } } && id != Guid.Empty ? message : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
