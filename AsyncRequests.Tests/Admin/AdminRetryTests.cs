using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AsyncRequests.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AsyncRequests.Tests.Admin;

public sealed class AdminRetryTests(TestServers servers)
{
    [Fact]
    public async Task Retrying_a_failed_request_runs_a_second_attempt_cycle_on_the_same_id_and_trace()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, settings: AdminKeys.Settings());
        var id = await pipeline.SubmitAsync("fail", new { mode = "permanent" });
        var failed = await pipeline.WaitForTerminalAsync(id);
        Assert.Equal(RequestStatus.Failed, failed.Status);

        using var response = await pipeline.Client.AsAdmin().PostAsync($"/admin/requests/{id}/retry", null, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal($"/requests/{id}", response.Headers.Location?.OriginalString);
        var accepted = await response.Content.ReadFromJsonAsync<RequestStatusDocument>(Infrastructure.Pipeline.JsonOptions, TestContext.Current.CancellationToken);
        Assert.Equal(id, accepted!.Id);
        Assert.NotEqual(RequestStatus.Failed, accepted.Status);
        Assert.Equal("retried", accepted.History[3].Detail);

        var again = await pipeline.WaitUntilAsync(id, d => d.Status == RequestStatus.Failed && d.History.Count == 6);
        Assert.Equal(
            [RequestStatus.Pending, RequestStatus.Processing, RequestStatus.Failed, RequestStatus.Pending, RequestStatus.Processing, RequestStatus.Failed],
            again.History.Select(h => h.Status));
        Assert.Equal([1, 1], again.History.Where(h => h.Status == RequestStatus.Processing).Select(h => h.Attempt));
        Assert.Equal(1, again.Attempts);
        Assert.Equal(failed.TraceId, again.TraceId);
        Assert.NotNull(failed.TraceId);
    }

    [Fact]
    public async Task A_retried_cancelled_request_runs_to_success_once()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: AdminKeys.Settings());
        var id = await pipeline.SubmitAsync("multiply", new { num1 = 6, num2 = 7 });
        var admin = pipeline.Client.AsAdmin();
        using (var cancelled = await admin.PostAsync($"/admin/requests/{id}/cancel", null, TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        }

        using var retried = await admin.PostAsync($"/admin/requests/{id}/retry", null, TestContext.Current.CancellationToken);
        pipeline.StartProcessor();

        Assert.Equal(HttpStatusCode.Accepted, retried.StatusCode);
        var done = await pipeline.WaitForTerminalAsync(id);
        Assert.Equal(RequestStatus.Succeeded, done.Status);
        Assert.Equal(42, done.Result!.Value.GetProperty("product").GetDouble());
        Assert.Equal(
            [RequestStatus.Pending, RequestStatus.Cancelled, RequestStatus.Pending, RequestStatus.Processing, RequestStatus.Succeeded],
            done.History.Select(h => h.Status));
        // Both the submit's message and the retry's reach the worker; the request runs once.
        await pipeline.WaitUntilQueueIsEmptyAsync(pipeline.QueueName);
        Assert.Single((await pipeline.GetAsync(id)).History, h => h.Status == RequestStatus.Processing);
    }

    [Fact]
    public async Task A_retry_whose_send_fails_is_sent_by_the_outbox_relay()
    {
        await using var sqs = await SqsServer.StartAsync(persistent: true, TestContext.Current.CancellationToken);
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, sqs: sqs, settings: AdminKeys.Settings());
        var id = await pipeline.SubmitAsync("fail", new { mode = "permanent" });
        await pipeline.WaitForTerminalAsync(id);

        await sqs.StopAsync();
        using var response = await pipeline.Client.AsAdmin().PostAsync($"/admin/requests/{id}/retry", null, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await using (var db = pipeline.CreateDbContext())
        {
            var stored = await db.Requests.SingleAsync(r => r.Id == id, TestContext.Current.CancellationToken);
            Assert.Equal(RequestStatus.Pending, stored.Status);
            Assert.Null(stored.PublishedAt);
        }

        await sqs.StartAgainAsync(TestContext.Current.CancellationToken);
        var again = await pipeline.WaitUntilAsync(id, d => d.Status == RequestStatus.Failed && d.History.Count == 6, TimeSpan.FromSeconds(60));
        Assert.Equal(2, again.History.Count(h => h.Status == RequestStatus.Processing));
    }

    [Fact]
    public async Task Only_failed_or_cancelled_requests_are_retried_and_an_unknown_one_is_not_found()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: AdminKeys.Settings());
        var admin = pipeline.Client.AsAdmin();
        var quick = await pipeline.SubmitAsync("multiply", new { num1 = 2, num2 = 3 });
        var slow = await pipeline.SubmitAsync("multiply", new { num1 = 2, num2 = 3, delayMs = 60_000 });

        await AssertRetryAnswersAsync(admin, quick, HttpStatusCode.Conflict, "pending");

        pipeline.StartProcessor();
        await pipeline.WaitUntilAsync(quick, d => d.Status == RequestStatus.Succeeded);
        await AssertRetryAnswersAsync(admin, quick, HttpStatusCode.Conflict, "succeeded");
        await pipeline.WaitUntilAsync(slow, d => d.Status == RequestStatus.Processing);
        await AssertRetryAnswersAsync(admin, slow, HttpStatusCode.Conflict, "processing");
        await AssertRetryAnswersAsync(admin, Guid.NewGuid(), HttpStatusCode.NotFound, "There is no request");

        Assert.Single((await pipeline.GetAsync(quick)).History, h => h.Status == RequestStatus.Processing);
        using var stop = await admin.PostAsync($"/admin/requests/{slow}/cancel", null, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Accepted, stop.StatusCode);
    }

    [Fact]
    public async Task The_admin_cancel_answers_as_the_public_cancel()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: AdminKeys.Settings());
        var admin = pipeline.Client.AsAdmin();
        var id = await pipeline.SubmitAsync("multiply", new { num1 = 1, num2 = 2 });

        using var first = await admin.PostAsync($"/admin/requests/{id}/cancel", null, TestContext.Current.CancellationToken);
        using var second = await admin.PostAsync($"/admin/requests/{id}/cancel", null, TestContext.Current.CancellationToken);
        using var unknown = await admin.PostAsync($"/admin/requests/{Guid.NewGuid()}/cancel", null, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var cancelled = await first.Content.ReadFromJsonAsync<RequestStatusDocument>(Infrastructure.Pipeline.JsonOptions, TestContext.Current.CancellationToken);
        Assert.Equal(RequestStatus.Cancelled, cancelled!.Status);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Single((await pipeline.GetAsync(id)).History, h => h.Status == RequestStatus.Cancelled);
    }

    private static async Task AssertRetryAnswersAsync(HttpClient admin, Guid id, HttpStatusCode status, string detail)
    {
        using var response = await admin.PostAsync($"/admin/requests/{id}/retry", null, TestContext.Current.CancellationToken);
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Contains(detail, problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
