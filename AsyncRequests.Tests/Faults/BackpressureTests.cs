using System.Net;
using System.Net.Http.Json;
using AsyncRequests.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc;

namespace AsyncRequests.Tests.Faults;

public sealed class BackpressureTests(TestServers servers)
{
    [Fact]
    public async Task Submits_are_refused_while_the_backlog_is_beyond_its_bound_and_accepted_again_once_it_drains()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: new Dictionary<string, string?>
        {
            ["Backpressure:MaxWaitingRequests"] = "3",
            ["Backpressure:WaitingAgeSeconds"] = "0",
            ["Backpressure:RetryAfterSeconds"] = "7",
        });
        var body = new { type = "multiply", input = new { num1 = 3, num2 = 3 } };

        // No Processor runs, so every accepted request stays pending until the bound is passed.
        var accepted = new List<Guid>();
        using var refused = await SubmitUntilAsync(pipeline, body, accepted, HttpStatusCode.ServiceUnavailable);

        Assert.True(accepted.Count > 3);
        Assert.Equal(TimeSpan.FromSeconds(7), refused.Headers.RetryAfter?.Delta);
        var problem = await refused.Content.ReadFromJsonAsync<ProblemDetails>(TestContext.Current.CancellationToken);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.Equal("System saturated", problem!.Title);
        await using (var db = pipeline.CreateDbContext())
        {
            Assert.Equal(accepted.Count, db.Requests.Count());
        }

        // Reading, cancelling and health checks keep working meanwhile.
        Assert.Equal(RequestStatus.Pending, (await pipeline.GetAsync(accepted[0])).Status);
        var cancelled = accepted[^1];
        accepted.Remove(cancelled);
        using (var cancel = await pipeline.Client.PostAsync($"/requests/{cancelled}/cancel", null, TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        }

        using (var health = await pipeline.Client.GetAsync("/health", TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }

        pipeline.StartProcessor();
        using var acceptedAgain = await SubmitUntilAsync(pipeline, body, accepted, HttpStatusCode.Accepted);

        foreach (var id in accepted)
        {
            Assert.Equal(RequestStatus.Succeeded, (await pipeline.WaitForTerminalAsync(id, TimeSpan.FromSeconds(60))).Status);
        }

        Assert.Equal(RequestStatus.Cancelled, (await pipeline.GetAsync(cancelled)).Status);
    }

    /// <summary>Submits until the answer has <paramref name="wanted"/> status; collects the ids of accepted ones.</summary>
    private static async Task<HttpResponseMessage> SubmitUntilAsync(Infrastructure.Pipeline pipeline, object body, List<Guid> accepted, HttpStatusCode wanted)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var response = await pipeline.PostAsync(body);
            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                accepted.Add((await response.Content.ReadFromJsonAsync<SubmissionAccepted>(Infrastructure.Pipeline.JsonOptions))!.Id);
            }

            if (response.StatusCode == wanted)
            {
                return response;
            }

            Assert.Contains(response.StatusCode, new[] { HttpStatusCode.Accepted, HttpStatusCode.ServiceUnavailable });
            response.Dispose();
            Assert.False(deadline.IsCancellationRequested, $"No {wanted} answer in time.");
            await Task.Delay(100, CancellationToken.None);
        }
    }
}
