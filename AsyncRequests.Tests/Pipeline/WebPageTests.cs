using System.Net;
using AsyncRequests.Tests.Infrastructure;

namespace AsyncRequests.Tests.Pipeline;

public sealed class WebPageTests(TestServers servers)
{
    [Fact]
    public async Task The_root_serves_a_page_that_submits_requests_and_follows_their_events()
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0);

        using var response = await pipeline.Client.GetAsync("/", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var page = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("<form id=\"submit\">", page, StringComparison.Ordinal);
        Assert.Contains("fetch(\"requests\"", page, StringComparison.Ordinal);
        Assert.Contains("new EventSource(", page, StringComparison.Ordinal);
    }
}
