using System.Net;
using AsyncRequests.Client;
using AsyncRequests.Tests.Infrastructure;

namespace AsyncRequests.Tests.Client;

/// <summary>The client library against the real Api and Processor: typed results, typed errors, waiting and cancelling.</summary>
public sealed class ClientResultTests(TestServers servers) : IAsyncLifetime
{
    private Infrastructure.Pipeline _pipeline = null!;
    private RequestsClients _clients = null!;

    private AsyncRequestsClient Client => _clients.Client;

    public async ValueTask InitializeAsync()
    {
        _pipeline = await Infrastructure.Pipeline.StartAsync(servers);
        _clients = new RequestsClients(_pipeline.Client.BaseAddress!);
    }

    public async ValueTask DisposeAsync()
    {
        _clients.Dispose();
        await _pipeline.DisposeAsync();
    }

    [Fact]
    public async Task Every_request_type_gives_its_typed_result()
    {
        var ct = TestContext.Current.CancellationToken;

        var multiply = await (await Client.SubmitAsync(new MultiplyInput { Num1 = 123456789012345, Num2 = 987654321098765 }, cancellationToken: ct)).WaitForCompletionAsync(ct);
        var compute = await (await Client.SubmitAsync(new ComputeInput { Numbers = [10, 20, 30, 40, 50] }, cancellationToken: ct)).WaitForCompletionAsync(ct);
        var transform = await (await Client.SubmitAsync(new TransformInput { Text = "Hello async World" }, cancellationToken: ct)).WaitForCompletionAsync(ct);
        var analysis = await (await Client.SubmitAsync(new TextAnalysisInput { Text = "Great queue, great service." }, cancellationToken: ct)).WaitForCompletionAsync(ct);
        var fail = await Client.SubmitAsync(new FailInput { Mode = FailMode.Permanent }, cancellationToken: ct);
        var failure = await Assert.ThrowsAsync<RequestFailedException>(() => fail.WaitForCompletionAsync(ct));

        Assert.Equal("121932631137021071359549253925", multiply.Product.GetRawText());
        Assert.Equal(new ComputeResult(5, 150, 30, 10, 50), compute);
        Assert.Equal(new TransformResult("HELLO ASYNC WORLD", "hello async world", 3, 17), transform);
        Assert.Equal(new TextAnalysisOcr(27, 4, 1, "Great queue, great service."), analysis.Ocr);
        Assert.Equal(new TextAnalysisMl("positive", 1), analysis.Ml);
        Assert.Equal(new KeywordCount("great", 2), analysis.Search.Keywords[0]);
        Assert.Equal("Simulated permanent failure.", failure.Error);
        Assert.Equal(RequestStatus.Failed, fail.Status);
        Assert.Throws<RequestFailedException>(() => fail.Value);
    }

    [Fact]
    public async Task Watching_sees_each_change_once_in_order_and_a_later_operation_finds_the_request_by_id()
    {
        var ct = TestContext.Current.CancellationToken;
        var operation = await Client.SubmitAsync(new TextAnalysisInput { Text = "Fast and reliable.", DelayMs = 900 }, cancellationToken: ct);

        var seen = new List<RequestStatusDocument>();
        await foreach (var document in operation.WatchAsync(ct))
        {
            seen.Add(document);
        }

        var again = Client.GetOperation<TextAnalysisResult>(operation.Id);
        await again.UpdateStatusAsync(ct);

        Assert.Equal(seen.Select(d => d.UpdatedAt).Distinct().Order(), seen.Select(d => d.UpdatedAt));
        Assert.Equal(RequestStatus.Succeeded, seen[^1].Status);
        // Changes closer together than a read may arrive as one document; what arrives keeps the stages' order.
        string[] stages = ["ocr", "ml", "search"];
        var stagesSeen = seen.Select(d => d.Progress.Stage).Where(stages.Contains).Distinct().ToList();
        Assert.NotEmpty(stagesSeen);
        Assert.Equal(stages.Where(stagesSeen.Contains), stagesSeen);
        Assert.True(again.HasCompleted);
        Assert.Equal(operation.Value.Ocr, again.Value.Ocr);
        Assert.Equal(operation.Value.Search.Keywords, again.Value.Search.Keywords);
    }

    [Fact]
    public async Task Cancelling_the_wait_leaves_the_request_running_and_cancelling_the_request_ends_the_wait()
    {
        var ct = TestContext.Current.CancellationToken;
        var operation = await Client.SubmitAsync(new TextAnalysisInput { Text = "Slow work.", DelayMs = 60_000 }, cancellationToken: ct);
        await _pipeline.WaitUntilAsync(operation.Id, d => d.Status == RequestStatus.Processing);

        using (var impatient = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            var wait = operation.WaitForCompletionAsync(impatient.Token);
            await Eventually.HoldsAsync(() => Task.FromResult(operation.Status == RequestStatus.Processing), () => "The wait never saw the request processing.");
            await impatient.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait);
        }

        Assert.Equal(RequestStatus.Processing, (await operation.UpdateStatusAsync(ct)).Status);

        var waitAgain = operation.WaitForCompletionAsync(ct);
        await operation.CancelAsync(ct);
        var cancelled = await Assert.ThrowsAsync<RequestCancelledException>(() => waitAgain);

        Assert.Equal(RequestStatus.Cancelled, cancelled.Document.Status);
        Assert.True(cancelled.Document.CancelRequested);
    }

    [Fact]
    public async Task Each_error_status_becomes_its_typed_exception_with_the_problem_details()
    {
        var ct = TestContext.Current.CancellationToken;

        var invalid = await Assert.ThrowsAsync<RequestValidationException>(() => Client.SubmitAsync(new MultiplyInput { Num1 = 1 }, cancellationToken: ct));
        var missing = await Assert.ThrowsAsync<RequestNotFoundException>(() => Client.GetOperation<MultiplyResult>(Guid.CreateVersion7()).UpdateStatusAsync(ct));
        var done = await Client.SubmitAsync(new MultiplyInput { Num1 = 2, Num2 = 3 }, new SubmitOptions { IdempotencyKey = "client-key-1" }, ct);
        await done.WaitForCompletionAsync(ct);
        var conflict = await Assert.ThrowsAsync<RequestConflictException>(() => done.CancelAsync(ct));
        var reused = await Assert.ThrowsAsync<IdempotencyKeyReusedException>(
            () => Client.SubmitAsync(new MultiplyInput { Num1 = 2, Num2 = 4 }, new SubmitOptions { IdempotencyKey = "client-key-1" }, ct));
        var replayed = await Client.SubmitAsync(new MultiplyInput { Num1 = 2, Num2 = 3 }, new SubmitOptions { IdempotencyKey = "client-key-1" }, ct);

        Assert.Equal(["The Num2 field is required."], invalid.Errors["input.num2"]);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Equal(404, missing.Problem.Status);
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Contains("already succeeded", conflict.Problem.Detail, StringComparison.Ordinal);
        Assert.Equal("Idempotency key reused", reused.Problem.Title);
        Assert.Equal(done.Id, replayed.Id);
    }
}
