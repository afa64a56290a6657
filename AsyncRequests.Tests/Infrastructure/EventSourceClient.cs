using System.Collections.Concurrent;
using System.Net;
using System.Net.ServerSentEvents;
using System.Text.Json;

namespace AsyncRequests.Tests.Infrastructure;

/// <summary>
/// Follows a request's event stream as a browser's EventSource does: when a stream ends, it reconnects
/// after the server's retry interval and sends the last event id it saw as Last-Event-ID; a 204 tells
/// it to stop, any answer other than a 200 event stream ends it for good. Like the page, it closes once
/// it has a terminal status. <paramref name="prefix"/> goes before <c>/requests</c>: <c>/admin</c> for the operators' stream.
/// </summary>
public sealed class EventSourceClient(HttpClient http, Guid requestId, string prefix = "")
{
    private static readonly TimeSpan s_defaultRetry = TimeSpan.FromSeconds(3);

    private readonly ConcurrentQueue<RequestStatusDocument> _documents = new();
    private readonly ConcurrentQueue<string> _brokenStreams = new();

    public IReadOnlyCollection<RequestStatusDocument> Documents => _documents;

    /// <summary>Streams whose body broke off (a truncated chunked body) instead of ending cleanly.</summary>
    public IReadOnlyCollection<string> BrokenStreams => _brokenStreams;

    public int Connections { get; private set; }

    public async Task FollowAsync(CancellationToken ct)
    {
        string? lastEventId = null;
        var retry = s_defaultRetry;
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"{prefix}/requests/{requestId}/events");
            if (lastEventId is not null)
            {
                request.Headers.Add("Last-Event-ID", lastEventId);
            }

            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            Connections++;
            if (response.StatusCode == HttpStatusCode.NoContent)
            {
                return;
            }

            Assert.True(
                response.StatusCode == HttpStatusCode.OK && response.Content.Headers.ContentType?.MediaType == "text/event-stream",
                $"Connection {Connections} was answered {(int)response.StatusCode} {response.Content.Headers.ContentType}: an EventSource gives up for good.");
            await using var stream = await response.Content.ReadAsStreamAsync(ct);
            var parser = SseParser.Create(stream);
            try
            {
                await foreach (var item in parser.EnumerateAsync(ct))
                {
                    var document = JsonSerializer.Deserialize<RequestStatusDocument>(item.Data, Pipeline.JsonOptions)!;
                    _documents.Enqueue(document);
                    if (document.Status.IsTerminal())
                    {
                        return;
                    }
                }
            }
            catch (IOException e)
            {
                _brokenStreams.Enqueue($"connection {Connections}: {e.Message}");
            }

            lastEventId = string.IsNullOrEmpty(parser.LastEventId) ? lastEventId : parser.LastEventId;
            retry = parser.ReconnectionInterval == Timeout.InfiniteTimeSpan ? retry : parser.ReconnectionInterval;
            await Task.Delay(retry, ct);
        }
    }

    /// <summary>Waits until the stream has delivered a document matching <paramref name="condition"/>.</summary>
    public Task WaitForAsync(Func<RequestStatusDocument, bool> condition, TimeSpan? timeout = null) =>
        Eventually.HoldsAsync(
            () => _documents.Any(condition),
            () => $"The stream never delivered the expected document; it delivered {_documents.Count}.",
            timeout);
}
