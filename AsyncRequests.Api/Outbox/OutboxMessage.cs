namespace AsyncRequests.Api.Outbox;

/// <summary>What sending a stored request's queue message needs: whom it points at, and the trace it joins.</summary>
public sealed record OutboxMessage(Guid RequestId, string Type, string? TraceParent, string? TraceState);
