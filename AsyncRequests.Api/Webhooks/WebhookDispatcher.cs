using System.Diagnostics;
using System.Text.Json;
using AsyncRequests.Api.Requests;
using AsyncRequests.Requests;
using AsyncRequests.Requests.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using HttpJsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace AsyncRequests.Api.Webhooks;

/// <summary>
/// Sends the webhooks that the terminal transitions recorded. Every poll claims due deliveries for the
/// free sending slots (up to <see cref="WebhookOptions.BatchSize"/> at once, and at most
/// <see cref="WebhookOptions.MaxConcurrentPerDestination"/> to one destination) under a lease, sends each
/// outside any transaction and records the outcome under that lease. Several Api instances share the work
/// and never send one delivery at the same time; one that dies mid-attempt leaves a lease that runs out,
/// and another instance tries again: at least once, with the same webhook-id for receivers to deduplicate.
/// </summary>
public sealed partial class WebhookDispatcher(
    WebhookDeliveries deliveries,
    WebhookSender sender,
    IDbContextFactory<RequestsDbContext> contexts,
    IOptions<HttpJsonOptions> json,
    IOptions<WebhookOptions> options,
    TimeProvider time,
    RequestStoreReadiness readiness,
    ILogger<WebhookDispatcher> logger) : BackgroundService
{
    /// <summary>Beyond the attempt's own timeout: time to build the body and record the outcome.</summary>
    private static readonly TimeSpan s_leaseMargin = TimeSpan.FromSeconds(30);

    /// <summary>How often the backlog gauge is refreshed: a count over the pending rows, not a poll's worth.</summary>
    private static readonly TimeSpan s_backlogInterval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.Enabled)
        {
            LogDisabled(logger);
            return;
        }

        await readiness.WaitAsync(stoppingToken);
        // Polls stay out of tracing; an attempt's span joins its request's trace through the stored context.
        using var untraced = BackgroundTracing.Suppress();
        var interval = TimeSpan.FromMilliseconds(settings.PollIntervalMilliseconds);
        var lease = TimeSpan.FromSeconds(settings.TimeoutSeconds) + s_leaseMargin;
        var sending = new List<Task>();
        var backlogCountedAt = long.MinValue;
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                sending.RemoveAll(task => task.IsCompleted);
                if (sending.Count < settings.BatchSize)
                {
                    foreach (var delivery in await deliveries.ClaimDueAsync(settings.BatchSize - sending.Count, settings.MaxConcurrentPerDestination, lease, stoppingToken))
                    {
                        sending.Add(Task.Run(() => DeliverAsync(delivery), CancellationToken.None));
                    }
                }

                if (backlogCountedAt == long.MinValue || time.GetElapsedTime(backlogCountedAt) >= s_backlogInterval)
                {
                    RequestTelemetry.RecordWebhookBacklog(await deliveries.CountPendingAsync(stoppingToken));
                    backlogCountedAt = time.GetTimestamp();
                }

                if (failures > 0)
                {
                    LogRecovered(logger, failures);
                }

                failures = 0;
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                failures++;
                LogPollFailed(logger, failures, FailureBackoff.After(failures, interval).TotalSeconds, e);
            }

            try
            {
                await Task.Delay(FailureBackoff.After(failures, interval), time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        // An attempt under way runs to its end (bounded by the timeout) and is recorded, rather than be
        // abandoned and sent again by another instance once its lease runs out.
        await Task.WhenAll(sending);
    }

    /// <summary>One attempt of one delivery; never throws: a failure leaves the lease to run out.</summary>
    private async Task DeliverAsync(ClaimedDelivery delivery)
    {
        var started = time.GetTimestamp();
        try
        {
            var payload = delivery.Payload ?? await BuildPayloadAsync(delivery);
            if (payload is null)
            {
                // Retried by an admin (the trigger superseded this delivery) or purged: nothing to send.
                LogSuperseded(logger, delivery.Id, delivery.RequestId);
                return;
            }

            using var activity = StartActivity(delivery);
            var attempt = Uri.TryCreate(delivery.CallbackUrl, UriKind.Absolute, out var callbackUrl)
                ? await sender.SendAsync(callbackUrl, delivery.Id, payload, CancellationToken.None)
                : new WebhookAttempt(WebhookAttemptOutcome.Permanent, null, "The callback URL is not an absolute URL.", null);
            var result = WebhookRetryPolicy.Decide(delivery, attempt, delivery.ClaimedAt + time.GetElapsedTime(started), options.Value);
            activity?.SetTag(RequestTelemetry.Tags.WebhookOutcome, OutcomeName(result));
            if (attempt.Outcome != WebhookAttemptOutcome.Delivered)
            {
                activity?.SetStatus(ActivityStatusCode.Error, attempt.Error);
            }

            if (!await deliveries.RecordAsync(delivery, result, payload, CancellationToken.None))
            {
                LogLeaseLost(logger, delivery.Id, delivery.RequestId);
                return;
            }

            RequestTelemetry.WebhookAttempts.Add(1, new KeyValuePair<string, object?>(RequestTelemetry.Tags.WebhookOutcome, OutcomeName(result)));
            LogAttempt(logger, delivery.Id, delivery.RequestId, delivery.Attempts, result.State, attempt.StatusCode, attempt.Error);
        }
        catch (Exception e)
        {
            LogDeliveryFailed(logger, delivery.Id, delivery.RequestId, e);
        }
    }

    /// <summary>
    /// The request's terminal status document, built once at the first attempt and stored with its
    /// outcome, so every retry sends the same bytes. Null when the request is no longer in the status the
    /// delivery announces. The document's own <c>webhook</c> member, which describes this very delivery,
    /// is left out.
    /// </summary>
    private async Task<byte[]?> BuildPayloadAsync(ClaimedDelivery delivery)
    {
        await using var db = await contexts.CreateDbContextAsync(CancellationToken.None);
        var document = await db.FindStatusDocumentAsync(delivery.RequestId, CancellationToken.None);
        return document is null || document.Status != delivery.RequestStatus
            ? null
            : JsonSerializer.SerializeToUtf8Bytes(document with { Webhook = null }, json.Value.SerializerOptions);
    }

    private static string OutcomeName(DeliveryResult result) => result.State switch
    {
        WebhookState.Delivered => "delivered",
        WebhookState.Pending => "retried",
        _ => "failed",
    };

    // A child of the submit's span, so the attempt shows in the request's own trace; none without one.
    private static Activity? StartActivity(ClaimedDelivery delivery)
    {
        if (!ActivityContext.TryParse(delivery.TraceParent, delivery.TraceState, out var parent))
        {
            return null;
        }

        var activity = RequestTelemetry.ActivitySource.StartActivity("deliver webhook", ActivityKind.Internal, parent);
        activity?.SetTag(RequestTelemetry.Tags.RequestId, delivery.RequestId)
            .SetTag(RequestTelemetry.Tags.WebhookId, delivery.Id)
            .SetTag(RequestTelemetry.Tags.Attempt, delivery.Attempts);
        return activity;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhooks are off: no Webhooks:SigningSecrets configured, so nothing is delivered")]
    private static partial void LogDisabled(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook {WebhookId} of request {RequestId}, attempt {Attempt}: {State} (status {StatusCode}) {Error}")]
    private static partial void LogAttempt(ILogger logger, string webhookId, Guid requestId, int attempt, WebhookState state, int? statusCode, string? error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook {WebhookId} of request {RequestId} is not sent: the request was retried or deleted since")]
    private static partial void LogSuperseded(ILogger logger, string webhookId, Guid requestId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook {WebhookId} of request {RequestId}: the lease ran out before the outcome was recorded; another attempt follows")]
    private static partial void LogLeaseLost(ILogger logger, string webhookId, Guid requestId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook {WebhookId} of request {RequestId}: the attempt failed; it is tried again when its lease runs out")]
    private static partial void LogDeliveryFailed(ILogger logger, string webhookId, Guid requestId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Polling for due webhooks failed ({Failures} in a row); next try in {DelaySeconds} s")]
    private static partial void LogPollFailed(ILogger logger, int failures, double delaySeconds, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Polling for due webhooks works again after {Failures} failures")]
    private static partial void LogRecovered(ILogger logger, int failures);
}
