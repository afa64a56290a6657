#if ASPIRE_HOSTING_AWS
using Amazon;
#endif

namespace AsyncRequests.AppHost;

/// <summary>
/// Gives a service its AWS region. The one difference between the two builds of this AppHost (see the
/// UseAspireHostingAws property in the project file).
/// </summary>
internal static class AwsRegion
{
    public const string Name = "us-east-1";

    public static Action<IResourceBuilder<ProjectResource>> Configure(IDistributedApplicationBuilder builder)
    {
#if ASPIRE_HOSTING_AWS
        // Sets AWS_REGION (and AWS__Region) in run mode. Nothing here talks to real AWS, so the AppHost's
        // startup check of real AWS credentials (an STS call) is switched off.
        var config = builder.AddAWSSDKConfig()
            .WithRegion(RegionEndpoint.GetBySystemName(Name))
            .WithSdkValidation(false);
        return service => service.WithReference(config);
#else
        return service => service.WithEnvironment("AWS_REGION", Name);
#endif
    }
}
