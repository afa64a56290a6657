using System.Net;
using Amazon.Runtime;
using Amazon.SQS.Model;

namespace AsyncRequests.Processor.Polling;

/// <summary>How a poller tells an SQS failure it waits out from one that no retry can fix.</summary>
internal static class SqsErrors
{
    /// <summary>A missing queue or missing permissions: the process stops loudly rather than wait for an operator who may never look.</summary>
    public static bool IsFatal(Exception e) =>
        e is QueueDoesNotExistException
        || (e is AmazonServiceException service && (service.StatusCode == HttpStatusCode.Forbidden || service.ErrorCode is "AccessDenied" or "AccessDeniedException"));

    /// <summary>SQS is unreachable, hung past the client's timeout, or answers with an error: retried with a backoff.</summary>
    public static bool IsTransient(Exception e) =>
        !IsFatal(e) && e is AmazonServiceException or AmazonClientException or HttpRequestException or TimeoutException or OperationCanceledException;
}
