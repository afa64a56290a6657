namespace AsyncRequests.Api.Webhooks;

public enum WebhookAttemptOutcome
{
    Delivered,
    Retryable,
    Permanent,
}

/// <summary>
/// What one attempt of one delivery came to. <see cref="Error"/> is short, single-line, ASCII-safe text:
/// it is stored and shown in the status document.
/// </summary>
public readonly record struct WebhookAttempt(WebhookAttemptOutcome Outcome, int? StatusCode, string? Error, TimeSpan? RetryAfter);
