using System.Net;

namespace AsyncRequests.Tests.Infrastructure;

/// <summary>HTTP to a service run as a child process, at the address it logged when it started listening.</summary>
public static class ProcessHttp
{
    /// <summary>Long enough for a health check's bound, short enough that a <c>/health</c> that hangs fails the test.</summary>
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(15);

    public static async Task<HttpClient> ClientForAsync(ChildProcess process)
    {
        const string listening = "Now listening on: ";
        var line = await process.WaitForOutputAsync(l => l.Contains(listening, StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        return new HttpClient { BaseAddress = new Uri(line[(line.IndexOf(listening, StringComparison.Ordinal) + listening.Length)..].Trim()), Timeout = s_timeout };
    }

    /// <summary>The status <c>/health</c> answers with; throws if it gives no answer within the client's timeout.</summary>
    public static async Task<HttpStatusCode> HealthAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/health", CancellationToken.None);
        return response.StatusCode;
    }

    /// <summary>Waits until <c>/health</c> answers <paramref name="expected"/>.</summary>
    public static Task WaitForHealthAsync(HttpClient client, HttpStatusCode expected, string service) =>
        Eventually.HoldsAsync(
            async () => await HealthAsync(client) == expected,
            () => $"The {service}'s /health never answered {(int)expected}.",
            TimeSpan.FromSeconds(90));
}
