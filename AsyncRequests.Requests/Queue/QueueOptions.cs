using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace AsyncRequests.Requests.Queue;

public sealed class QueueOptions
{
    public const string SectionName = "Queue";

    [Required]
    public string QueueName { get; set; } = "async-requests";

    [Required]
    public string DeadLetterQueueName { get; set; } = "async-requests-dlq";

    /// <summary>Create both queues (with the redrive policy) when missing, as MassTransit and NServiceBus do.</summary>
    public bool AutoCreateQueues { get; set; }

    /// <summary>Receives after which SQS moves a message to the dead-letter queue.</summary>
    [Range(1, 1000)]
    public int MaxReceiveCount { get; set; } = 5;

    /// <summary>How long a received message stays hidden; a worker's heartbeat keeps extending it.</summary>
    [Range(1, 43_200)]
    public int VisibilityTimeoutSeconds { get; set; } = 60;
}

/// <summary>Checks the attributes of <see cref="QueueOptions"/> in generated code, without reflection.</summary>
[OptionsValidator]
public sealed partial class QueueOptionsValidator : IValidateOptions<QueueOptions>;
