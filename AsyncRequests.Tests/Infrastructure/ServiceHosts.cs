using AsyncRequests.Api;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace AsyncRequests.Tests.Infrastructure;

/// <summary>
/// A real service (the Api or the Processor, found by a type of its assembly) hosted in this process
/// with the test's settings; with Kestrel it answers real HTTP on a loopback port.
/// </summary>
public sealed class ServiceHost<TEntryPoint>(IReadOnlyDictionary<string, string?> settings, Action<IServiceCollection>? configureServices)
    : WebApplicationFactory<TEntryPoint>
    where TEntryPoint : class
{
    private static readonly TimeSpan s_migrationTimeout = TimeSpan.FromSeconds(60);

    public static ServiceHost<TEntryPoint> Start(
        IReadOnlyDictionary<string, string?> settings, Action<IServiceCollection>? configureServices, bool overHttp)
    {
        var host = new ServiceHost<TEntryPoint>(settings, configureServices);
        if (overHttp)
        {
            host.UseKestrel(options => options.Listen(System.Net.IPAddress.Loopback, 0));
        }

        host.StartServer();

        // The Api migrates in the background once started; a test's first request should find the schema.
        if (host.Services.GetService<RequestStoreReadiness>() is { } readiness)
        {
            Assert.True(readiness.WaitAsync(CancellationToken.None).Wait(s_migrationTimeout), "The Api did not migrate its request store.");
        }

        return host;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        if (configureServices is not null)
        {
            builder.ConfigureTestServices(configureServices);
        }
    }
}
