namespace AsyncRequests.Api.Webhooks;

/// <summary>What an attempt's outcome means for its delivery: delivered, failed for good, or when to try again.</summary>
public static class WebhookRetryPolicy
{
    /// <summary>
    /// Retries back off exponentially with jitter. A Retry-After can lengthen a wait, up to the longest
    /// delay, but never shorten it: "Retry-After: 0" from a busy receiver would otherwise mean an attempt a
    /// poll. A delivery that used its last attempt, or whose next one would come after its give-up time,
    /// fails now, with the reason.
    /// </summary>
    public static DeliveryResult Decide(ClaimedDelivery delivery, WebhookAttempt attempt, DateTimeOffset now, WebhookOptions settings)
    {
        switch (attempt.Outcome)
        {
            case WebhookAttemptOutcome.Delivered:
                return new DeliveryResult(WebhookState.Delivered, null, attempt.StatusCode, null);
            case WebhookAttemptOutcome.Permanent:
                return new DeliveryResult(WebhookState.Failed, null, attempt.StatusCode, attempt.Error);
        }

        if (delivery.Attempts >= settings.MaxAttempts)
        {
            return new DeliveryResult(
                WebhookState.Failed,
                null,
                attempt.StatusCode,
                $"Gave up after attempt {delivery.Attempts} of {settings.MaxAttempts} ({WebhookOptions.SectionName}:{nameof(WebhookOptions.MaxAttempts)}); last error: {attempt.Error}");
        }

        var delay = RetryDelay(delivery.Attempts, settings);
        if (attempt.RetryAfter is { } retryAfter)
        {
            delay = TimeSpan.FromTicks(Math.Max(delay.Ticks, Math.Min(retryAfter.Ticks, TimeSpan.FromSeconds(settings.MaxRetryDelaySeconds).Ticks)));
        }

        var next = now + delay;
        var giveUpAfter = TimeSpan.FromMinutes(settings.GiveUpAfterMinutes);
        return next > delivery.CreatedAt + giveUpAfter
            ? new DeliveryResult(
                WebhookState.Failed,
                null,
                attempt.StatusCode,
                $"Gave up after attempt {delivery.Attempts}: a retry would come after the give-up time ({settings.GiveUpAfterMinutes} min after the request finished); last error: {attempt.Error}")
            : new DeliveryResult(WebhookState.Pending, next, attempt.StatusCode, attempt.Error);
    }

    /// <summary>The first delay doubled per attempt up to the maximum, each taken between half and all of its step.</summary>
    private static TimeSpan RetryDelay(int attempts, WebhookOptions settings)
    {
        var stepMilliseconds = Math.Min(
            settings.MaxRetryDelaySeconds * 1000.0,
            settings.FirstRetryDelayMilliseconds * Math.Pow(2, Math.Max(0, attempts - 1)));
        return TimeSpan.FromMilliseconds(stepMilliseconds * (0.5 + (Random.Shared.NextDouble() / 2)));
    }
}
