using AsyncRequests.Requests.RequestTypes;

namespace AsyncRequests.Processor.Handlers;

public sealed class ComputeHandler : RequestHandler<ComputeInput>
{
    protected override async Task<object> HandleAsync(ComputeInput input, RequestContext context, CancellationToken cancellationToken)
    {
        await context.ReportProgressAsync(0, "computing");
        await context.SimulateWorkAsync(input.DelayMs, 1, cancellationToken);
        var numbers = input.Numbers!;
        return new { Count = numbers.Length, Sum = numbers.Sum(), Average = numbers.Average(), Min = numbers.Min(), Max = numbers.Max() };
    }
}
