using System.Net;
using AsyncRequests.Tests.Infrastructure;

namespace AsyncRequests.Tests.Pipeline;

/// <summary>The interactive API reference (Scalar) is a development tool: served in Development, absent elsewhere.</summary>
public sealed class ApiReferenceTests(TestServers servers)
{
    [Theory]
    [InlineData("Development", HttpStatusCode.OK)]
    [InlineData("Production", HttpStatusCode.NotFound)]
    public async Task The_API_reference_is_served_in_Development_only(string environment, HttpStatusCode expected)
    {
        await using var pipeline = await Infrastructure.Pipeline.StartAsync(servers, processors: 0, settings: new Dictionary<string, string?> { ["environment"] = environment });

        using var response = await pipeline.Client.GetAsync("/scalar", TestContext.Current.CancellationToken);

        Assert.Equal(expected, response.StatusCode);
    }
}
