namespace AsyncRequests.Contracts;

/// <summary>
/// Every error body of the Api: RFC 9457 problem details with the extensions the Api writes,
/// <see cref="Errors"/> (a 400's invalid fields, keyed by the JSON path the client wrote) and
/// <see cref="TraceId"/> (what the dashboard searches by).
/// </summary>
public sealed record ProblemDocument
{
    public string? Type { get; init; }

    public string? Title { get; init; }

    public int? Status { get; init; }

    public string? Detail { get; init; }

    public string? Instance { get; init; }

    public IReadOnlyDictionary<string, string[]>? Errors { get; init; }

    public string? TraceId { get; init; }
}
