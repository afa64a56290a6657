using AsyncRequests.Api.Webhooks;
using AsyncRequests.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AsyncRequests.Tests.Webhooks;

/// <summary>
/// The webhook services as the Api registers them, service defaults included (their HttpClient
/// defaults are what the webhook client must shed), in a host of their own.
/// </summary>
public static class WebhookServices
{
    public const string Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    public const string OtherSecret = "whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24tdGVzdHM=";

    /// <summary>Settings that reach a receiver on 127.0.0.1 (and only the hosts listed, if any are).</summary>
    public static Dictionary<string, string?> Settings(params string[] allowedHosts)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Webhooks:SigningSecrets:0"] = Secret,
            ["Webhooks:AllowInsecureHttp"] = "true",
            ["Webhooks:TimeoutSeconds"] = "60",
        };
        foreach (var (host, index) in (allowedHosts.Length == 0 ? ["127.0.0.1"] : allowedHosts).Select((host, index) => (host, index)))
        {
            settings[$"Webhooks:AllowedHosts:{index}"] = host;
        }

        return settings;
    }

    public static IHost Build(IReadOnlyDictionary<string, string?> settings, TimeProvider? time = null, CapturedLogs? logs = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        if (time is not null)
        {
            builder.Services.AddSingleton(time);
        }

        logs?.AddTo(builder.Services);
        builder.AddServiceDefaults();
        builder.AddWebhooks();
        return builder.Build();
    }

    public static WebhookSender Sender(this IHost host) => host.Services.GetRequiredService<WebhookSender>();
}
