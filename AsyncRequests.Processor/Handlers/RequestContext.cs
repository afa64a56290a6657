namespace AsyncRequests.Processor.Handlers;

/// <summary>What a running handler may know and do besides computing its result.</summary>
public sealed class RequestContext(Guid requestId, int attempt, Func<int, string, Task> reportProgress, TimeProvider time)
{
    public Guid RequestId { get; } = requestId;

    public int Attempt { get; } = attempt;

    /// <summary>Records how far the handler is; clients see it in the status document.</summary>
    public Task ReportProgressAsync(int percent, string stage) => reportProgress(Math.Clamp(percent, 0, 100), stage);

    /// <summary>Simulates slow work: a share of the request's <c>delayMs</c>, cancelled with the request.</summary>
    public Task SimulateWorkAsync(int? delayMs, double share, CancellationToken cancellationToken) =>
        delayMs is > 0 ? Task.Delay(TimeSpan.FromMilliseconds(delayMs.Value * share), time, cancellationToken) : Task.CompletedTask;
}
