using System.Text.Json;
using System.Text.Json.Serialization;

namespace AsyncRequests.Requests.Queue;

/// <summary>Source-generated JSON metadata of what goes on the queue: the message body and the redrive policy.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(RequestMessage))]
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class QueueJsonContext : JsonSerializerContext;
