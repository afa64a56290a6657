namespace AsyncRequests.Processor.Polling;

/// <summary>Messages whose handlers one instance caps together: those of one request type, or of one client.</summary>
public readonly record struct ConcurrencyGroup(ConcurrencyGroup.Kind By, string Name)
{
    public enum Kind
    {
        RequestType,
        Client,
    }
}
