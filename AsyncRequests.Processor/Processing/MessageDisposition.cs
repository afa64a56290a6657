namespace AsyncRequests.Processor.Processing;

/// <summary>What the poller does with a message once its request has been dealt with.</summary>
public abstract record MessageDisposition
{
    private MessageDisposition()
    {
    }

    public static MessageDisposition Delete { get; } = new DeleteMessage();

    /// <summary>Leave the message alone: its visibility timeout decides when it is seen again.</summary>
    public static MessageDisposition Leave { get; } = new LeaveMessage();

    public static MessageDisposition ShowAgainAfter(TimeSpan delay) => new ChangeVisibility(delay);

    public sealed record DeleteMessage : MessageDisposition;

    public sealed record LeaveMessage : MessageDisposition;

    public sealed record ChangeVisibility(TimeSpan Delay) : MessageDisposition;
}
