using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Amazon.SQS.Model;

namespace AsyncRequests.Requests;

/// <summary>
/// The one ActivitySource and Meter of AsyncRequests, with names after the OpenTelemetry
/// messaging semantic conventions so the dashboard shows producer → consumer as one trace.
/// </summary>
public static class RequestTelemetry
{
    public const string Name = "AsyncRequests";

    public static readonly ActivitySource ActivitySource = new(Name);

    public static readonly Meter Meter = new(Name);

    public static readonly Counter<long> Submitted = Meter.CreateCounter<long>(
        "asyncrequests.requests.submitted", "{request}", "Requests accepted by the Api.");

    public static readonly Counter<long> Completed = Meter.CreateCounter<long>(
        "asyncrequests.requests.completed", "{request}", "Requests that reached a terminal status.");

    public static readonly Histogram<double> ProcessingDuration = Meter.CreateHistogram<double>(
        "asyncrequests.processing.duration", "s", "Time a handler took for one attempt.");

    public static readonly Histogram<double> QueuedDuration = Meter.CreateHistogram<double>(
        "asyncrequests.queue.duration", "s", "Time from the message being sent to a worker receiving it.");

    /// <summary>Submissions the Api's writer stored in one statement: how much group commit gathers under the load it gets.</summary>
    public static readonly Histogram<long> SubmissionBatchSize = Meter.CreateHistogram<long>(
        "asyncrequests.submissions.batch_size", "{request}", "Submissions stored together in one statement.");

    public static readonly Histogram<long> Attempts = Meter.CreateHistogram<long>(
        "asyncrequests.requests.attempts", "{attempt}", "Attempts a request took to reach a terminal status.");

    /// <summary>Recorded by the outbox relay on every pass: requests whose message is not sent yet.</summary>
    public static readonly Gauge<long> OutboxBacklog = Meter.CreateGauge<long>(
        "asyncrequests.outbox.backlog", "{request}", "Requests whose queue message is not sent yet.");

    /// <summary>
    /// Messages the direct sender (after a submit or an operator's retry) did not get out, which the outbox relay
    /// sends instead, by <see cref="Tags.HandoffReason"/>: timeout, refused (by SQS, per entry), error, or queue_full
    /// (stored while the sender's queue was full, so never tried).
    /// </summary>
    public static readonly Counter<long> HandedToRelay = Meter.CreateCounter<long>(
        "asyncrequests.outbox.handed_to_relay", "{message}", "Request messages the direct sender left to the outbox relay, by reason.");

    /// <summary>Terminal requests the Api's retention purge deleted, by their status.</summary>
    public static readonly Counter<long> Purged = Meter.CreateCounter<long>(
        "asyncrequests.requests.purged", "{request}", "Terminal requests deleted by the retention purge.");

    public static readonly UpDownCounter<long> InFlight = Meter.CreateUpDownCounter<long>(
        "asyncrequests.handlers.in_flight", "{request}", "Handlers running now.");

    /// <summary>Webhook delivery attempts by <see cref="Tags.WebhookOutcome"/>: delivered, retried (later) or failed (for good).</summary>
    public static readonly Counter<long> WebhookAttempts = Meter.CreateCounter<long>(
        "asyncrequests.webhooks.attempts", "{attempt}", "Webhook delivery attempts, by outcome.");

    private static long s_webhookBacklog = -1;

    /// <summary>Read from the value the webhook dispatcher refreshes, so collecting it never queries the database.</summary>
    public static readonly ObservableGauge<long> WebhookBacklog = Meter.CreateObservableGauge(
        "asyncrequests.webhooks.backlog",
        () => Volatile.Read(ref s_webhookBacklog) is >= 0 and var pending ? [new Measurement<long>(pending)] : Array.Empty<Measurement<long>>(),
        "{delivery}",
        "Webhook deliveries neither delivered nor given up yet.");

    public static class Tags
    {
        public const string RequestId = "asyncrequests.request.id";
        public const string RequestType = "asyncrequests.request.type";
        public const string Status = "asyncrequests.request.status";
        public const string Attempt = "asyncrequests.request.attempt";
        public const string MessagingSystem = "messaging.system";
        public const string DestinationName = "messaging.destination.name";
        public const string OperationName = "messaging.operation.name";
        public const string OperationType = "messaging.operation.type";
        public const string MessageId = "messaging.message.id";
        public const string AwsSqs = "aws_sqs";
        public const string WebhookId = "asyncrequests.webhook.id";
        public const string WebhookOutcome = "asyncrequests.webhook.outcome";
        public const string HandoffReason = "asyncrequests.outbox.reason";
    }

    public static void RecordWebhookBacklog(long pending) => Volatile.Write(ref s_webhookBacklog, pending);

    public static void RecordCompleted(string type, RequestStatus status, int attempts)
    {
        var tags = new TagList { { Tags.RequestType, type }, { Tags.Status, status.ToWireName() } };
        Completed.Add(1, tags);
        Attempts.Record(attempts, tags);
    }

    /// <summary>Time from send to first receive; later deliveries would count retry delays as queueing.</summary>
    public static void RecordQueued(Message message, string type)
    {
        if (message.Attributes?.GetValueOrDefault("ApproximateReceiveCount") == "1"
            && long.TryParse(message.Attributes.GetValueOrDefault("SentTimestamp"), NumberStyles.None, CultureInfo.InvariantCulture, out var sentMs))
        {
            var queued = DateTimeOffset.UtcNow - DateTimeOffset.FromUnixTimeMilliseconds(sentMs);
            QueuedDuration.Record(Math.Max(0, queued.TotalSeconds), new KeyValuePair<string, object?>(Tags.RequestType, type));
        }
    }

    /// <summary>Starts a messaging span (<c>send async-requests</c>, <c>process async-requests</c>) with the convention's attributes.</summary>
    public static Activity? StartMessagingActivity(
        string operation, string operationType, ActivityKind kind, string queueName, ActivityContext parent, Guid requestId)
    {
        var activity = ActivitySource.StartActivity($"{operation} {queueName}", kind, parent);
        activity?.SetTag(Tags.MessagingSystem, Tags.AwsSqs)
            .SetTag(Tags.DestinationName, queueName)
            .SetTag(Tags.OperationName, operation)
            .SetTag(Tags.OperationType, operationType)
            .SetTag(Tags.RequestId, requestId);
        return activity;
    }
}
