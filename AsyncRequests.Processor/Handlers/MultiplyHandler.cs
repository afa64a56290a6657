using AsyncRequests.Requests.RequestTypes;

namespace AsyncRequests.Processor.Handlers;

public sealed class MultiplyHandler : RequestHandler<MultiplyInput>
{
    protected override async Task<object> HandleAsync(MultiplyInput input, RequestContext context, CancellationToken cancellationToken)
    {
        await context.ReportProgressAsync(0, "multiplying");
        await context.SimulateWorkAsync(input.DelayMs, 1, cancellationToken);
        return new { Product = input.Num1!.Value * input.Num2!.Value };
    }
}
