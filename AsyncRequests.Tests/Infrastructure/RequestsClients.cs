using AsyncRequests.Client;
using Microsoft.Extensions.DependencyInjection;

namespace AsyncRequests.Tests.Infrastructure;

/// <summary>The client library as an application registers it, pointed at a test's Api.</summary>
public sealed class RequestsClients : IDisposable
{
    private readonly ServiceProvider _services;

    // http: additions to the client's handler pipeline (such as a resilience handler), outside the handlers.
    public RequestsClients(
        Uri address, Action<AsyncRequestsClientOptions>? configure = null, Action<IHttpClientBuilder>? http = null, params DelegatingHandler[] handlers)
    {
        var services = new ServiceCollection();
        var builder = services.AddAsyncRequestsClient(o =>
        {
            o.BaseAddress = address;
            o.DefaultRetryDelaySeconds = 0.2;
            configure?.Invoke(o);
        });
        http?.Invoke(builder);
        foreach (var handler in handlers)
        {
            builder.AddHttpMessageHandler(() => handler);
        }

        _services = services.BuildServiceProvider();
        Client = _services.GetRequiredService<AsyncRequestsClient>();
    }

    public AsyncRequestsClient Client { get; }

    public void Dispose() => _services.Dispose();
}

/// <summary>Counts the calls the client makes, by kind, and can cut or refuse event streams as a proxy between it and the Api might.</summary>
public sealed class TrafficCounter : DelegatingHandler
{
    private int _streams;
    private int _polls;
    private int _submits;
    private int _busy;

    /// <summary>Answer event streams with 502, as a proxy that buffers or blocks them would.</summary>
    public bool RefuseStreams { get; init; }

    /// <summary>Break the first event stream's connection after this many bytes.</summary>
    public int? CutFirstStreamAfterBytes { get; init; }

    public int Streams => _streams;

    public int Polls => _polls;

    public int Submits => _submits;

    public int BusyAnswers => _busy;

    public List<string?> LastEventIds { get; } = [];

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri!.AbsolutePath;
        if (path.EndsWith("/events", StringComparison.Ordinal))
        {
            var stream = Interlocked.Increment(ref _streams);
            lock (LastEventIds)
            {
                LastEventIds.Add(request.Headers.TryGetValues(RequestHeaders.LastEventId, out var ids) ? ids.Single() : null);
            }

            if (RefuseStreams)
            {
                return new HttpResponseMessage(System.Net.HttpStatusCode.BadGateway) { RequestMessage = request };
            }

            var response = await base.SendAsync(request, cancellationToken);
            if (stream == 1 && CutFirstStreamAfterBytes is { } bytes)
            {
                var content = new StreamContent(new CuttingStream(await response.Content.ReadAsStreamAsync(cancellationToken), bytes));
                foreach (var header in response.Content.Headers)
                {
                    content.Headers.TryAddWithoutValidation(header.Key, header.Value);
                }

                response.Content = content;
            }

            return response;
        }

        if (request.Method == HttpMethod.Get && path.StartsWith("/requests/", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _polls);
        }

        if (request.Method == HttpMethod.Post && path == "/requests")
        {
            Interlocked.Increment(ref _submits);
        }

        var answer = await base.SendAsync(request, cancellationToken);
        if (answer.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable)
        {
            Interlocked.Increment(ref _busy);
        }

        return answer;
    }

    /// <summary>Reads through to the real connection, then fails as a reset connection does.</summary>
    private sealed class CuttingStream(Stream inner, int bytes) : Stream
    {
        private int _left = bytes;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_left <= 0)
            {
                await inner.DisposeAsync();
                throw new IOException("The connection was reset.");
            }

            var read = await inner.ReadAsync(buffer[..Math.Min(buffer.Length, _left)], cancellationToken);
            _left -= read;
            return read;
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
