namespace AsyncRequests.Requests.Storage;

/// <summary>Where a request is in its lifecycle; see <see cref="RequestStatusExtensions.IsTerminal"/>.</summary>
public enum RequestStatus
{
    Pending,
    Processing,
    Succeeded,
    Failed,
    Cancelled,
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
