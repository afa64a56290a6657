namespace AsyncRequests.Client;

/// <summary>Where the Api is and how the client talks to it.</summary>
public sealed class AsyncRequestsClientOptions
{
    /// <summary>
    /// The Api's address, such as <c>https://requests.example.com</c>, or <c>https+http://api</c> with Aspire
    /// service discovery (add <c>AddServiceDiscovery()</c> to the builder <c>AddAsyncRequestsClient</c> returns).
    /// </summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>A client key, sent as <c>Authorization: Bearer &lt;key&gt;</c> on every call; none by default.</summary>
    public string? ClientKey { get; set; }

    /// <summary>
    /// How often a submit is sent in all when the Api answers 429 or 503 or cannot be reached. Retrying is
    /// safe because every submit carries an idempotency key: the Api stores the request at most once.
    /// </summary>
    public int SubmitAttempts { get; set; } = 3;

    /// <summary>How long to wait before trying again when the Api names no time (no <c>Retry-After</c>, no SSE <c>retry</c>).</summary>
    public double DefaultRetryDelaySeconds { get; set; } = 1;
}
