namespace AsyncRequests.Processor.Handlers;

/// <summary>Fails on purpose, so retries, backoff and dead-lettering can be seen and tested.</summary>
public sealed class FailHandler : RequestHandler<FailInput, FailResult>
{
    protected override async Task<FailResult> HandleAsync(FailInput input, RequestContext context, CancellationToken cancellationToken)
    {
        await context.SimulateWorkAsync(input.DelayMs, 1, cancellationToken);
        throw input.Mode switch
        {
            FailMode.Transient => new TransientRequestException($"Simulated transient failure on attempt {context.Attempt}."),
            _ => new InvalidOperationException("Simulated permanent failure."),
        };
    }
}
