namespace AsyncRequests.Processor.Handlers;

public sealed class TransformHandler : RequestHandler<TransformInput, TransformResult>
{
    protected override async Task<TransformResult> HandleAsync(TransformInput input, RequestContext context, CancellationToken cancellationToken)
    {
        await context.ReportProgressAsync(0, "transforming");
        await context.SimulateWorkAsync(input.DelayMs, 1, cancellationToken);
        var text = input.Text!;
        return new TransformResult(
            Upper: text.ToUpperInvariant(),
            Lower: text.ToLowerInvariant(),
            WordCount: TextStatistics.Words(text).Count,
            CharCount: text.Length);
    }
}
