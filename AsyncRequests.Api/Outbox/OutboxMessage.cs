namespace AsyncRequests.Api.Outbox;

/// <summary>What sending a stored request's queue message needs: whom it points at, whose it is, and the trace it joins.</summary>
public sealed record OutboxMessage(Guid RequestId, string Type, string ClientId, string? TraceParent, string? TraceState);
