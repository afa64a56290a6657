namespace AsyncRequests.Client;

/// <summary>Optional settings of one submit.</summary>
public sealed class SubmitOptions
{
    /// <summary>
    /// Makes the submit safe to repeat: the same key with the same input answers the original request again;
    /// with another input the Api refuses it (<see cref="IdempotencyKeyReusedException"/>). When none is given the
    /// client makes one up (a new GUID), so it can retry the submit after a 429, a 503 or a lost connection.
    /// </summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>An absolute URL the Api POSTs the terminal status document to, signed per Standard Webhooks.</summary>
    public Uri? CallbackUrl { get; init; }
}
