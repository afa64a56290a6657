using System.Text.Json.Serialization;

namespace AsyncRequests.Contracts;

/// <summary>Where a request is in its lifecycle; see <see cref="RequestStatusExtensions.IsTerminal"/>.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RequestStatus>))]
public enum RequestStatus
{
    [JsonStringEnumMemberName("pending")] Pending,
    [JsonStringEnumMemberName("processing")] Processing,
    [JsonStringEnumMemberName("succeeded")] Succeeded,
    [JsonStringEnumMemberName("failed")] Failed,
    [JsonStringEnumMemberName("cancelled")] Cancelled,
}

public static class RequestStatusExtensions
{
    public static bool IsTerminal(this RequestStatus status) =>
        status is RequestStatus.Succeeded or RequestStatus.Failed or RequestStatus.Cancelled;

    /// <summary>The lowercase name used on the wire, in metrics and in the database.</summary>
    public static string ToWireName(this RequestStatus status) => status switch
    {
        RequestStatus.Pending => "pending",
        RequestStatus.Processing => "processing",
        RequestStatus.Succeeded => "succeeded",
        RequestStatus.Failed => "failed",
        RequestStatus.Cancelled => "cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    public static RequestStatus ParseWireName(string name) =>
        Enum.Parse<RequestStatus>(name, ignoreCase: true);
}
