namespace AsyncRequests.AppHost;

/// <summary>What the services use, whichever way the servers run.</summary>
/// <param name="RequestsDb">The requests database; healthy once it takes connections.</param>
/// <param name="Sqs">The SQS endpoint.</param>
/// <param name="SqsServer">The resource serving <paramref name="Sqs"/>; healthy once it answers.</param>
internal sealed record BackingServers(
    IResourceBuilder<IResourceWithConnectionString> RequestsDb,
    EndpointReference Sqs,
    IResourceBuilder<IResource> SqsServer);
