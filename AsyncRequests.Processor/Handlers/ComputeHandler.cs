namespace AsyncRequests.Processor.Handlers;

public sealed class ComputeHandler : RequestHandler<ComputeInput, ComputeResult>
{
    protected override async Task<ComputeResult> HandleAsync(ComputeInput input, RequestContext context, CancellationToken cancellationToken)
    {
        await context.ReportProgressAsync(0, "computing");
        await context.SimulateWorkAsync(input.DelayMs, 1, cancellationToken);
        var numbers = input.Numbers!;
        return new ComputeResult(numbers.Length, numbers.Sum(), numbers.Average(), numbers.Min(), numbers.Max());
    }
}
