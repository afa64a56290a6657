using AsyncRequests.Tests.Webhooks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AsyncRequests.Tests.WebhookReceiving;

/// <summary>A receiver that could never verify a delivery, or would misbehave, does not start; the message names the setting.</summary>
public sealed class WebhookReceiverOptionsTests
{
    [Theory]
    [InlineData("SigningSecrets:0", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "SigningSecrets[0]")]
    [InlineData("SigningSecrets:1", "whsec_not base64!", "SigningSecrets[1]")]
    [InlineData("SigningSecrets:1", "whsec_AAAAAAAAAAAAAAAAAAAAAA==", "SigningSecrets[1]")]
    [InlineData("TimestampToleranceSeconds", "0", "TimestampToleranceSeconds")]
    [InlineData("DeduplicationWindowMinutes", "0", "DeduplicationWindowMinutes")]
    [InlineData("MaxRememberedIds", "0", "MaxRememberedIds")]
    [InlineData("MaxBodyBytes", "100", "MaxBodyBytes")]
    public async Task An_invalid_setting_stops_the_start_and_is_named(string key, string value, string named)
    {
        var settings = new Dictionary<string, string?> { ["Hooks:SigningSecrets:0"] = WebhookServices.Secret, [$"Hooks:{key}"] = value };
        using var host = Build(settings);

        var refusal = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains(named, refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_secret_the_start_stops_and_says_one_is_needed()
    {
        using var host = Build(new Dictionary<string, string?> { ["Hooks:TimestampToleranceSeconds"] = "300" });

        var refusal = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("SigningSecrets needs at least one secret", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_malformed_secret_is_not_repeated_in_the_message()
    {
        using var host = Build(new Dictionary<string, string?> { ["Hooks:SigningSecrets:0"] = "whsec_c2VjcmV0" });

        var refusal = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.DoesNotContain("c2VjcmV0", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_secrets_bound_from_configuration_start()
    {
        using var host = Build(new Dictionary<string, string?>
        {
            ["Hooks:SigningSecrets:0"] = WebhookServices.Secret,
            ["Hooks:SigningSecrets:1"] = WebhookServices.OtherSecret,
        });

        await host.StartAsync(TestContext.Current.CancellationToken);

        Assert.Equal([WebhookServices.Secret, WebhookServices.OtherSecret], host.Services.GetRequiredService<IOptions<AsyncRequests.Client.AspNetCore.WebhookReceiverOptions>>().Value.SigningSecrets);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    private static IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddAsyncRequestsWebhookReceiver().BindConfiguration("Hooks");
        return builder.Build();
    }
}
