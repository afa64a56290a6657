using AsyncRequests.Client;
using AsyncRequests.Samples.TextAnalysis;
using Microsoft.Extensions.DependencyInjection;

// Usage: dotnet run --project samples/TextAnalysis -- [api address] [text]
var address = new Uri(args.ElementAtOrDefault(0) ?? "http://localhost:5000");
var text = args.ElementAtOrDefault(1) ?? "Great queue, great service. The queue is fast and reliable.";

var services = new ServiceCollection();
services.AddAsyncRequestsClient(o => o.BaseAddress = address);
await using var provider = services.BuildServiceProvider();

await TextAnalysisSample.RunAsync(provider.GetRequiredService<AsyncRequestsClient>(), text, Console.Out, CancellationToken.None);
