using Microsoft.Extensions.Options;

namespace AsyncRequests.Tests.Webhooks;

/// <summary>Bad webhook settings stop the service at start, with a message that names the setting.</summary>
public sealed class WebhookOptionsTests
{
    [Theory]
    [InlineData("Webhooks:SigningSecrets:0", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "Webhooks:SigningSecrets:0")]
    [InlineData("Webhooks:SigningSecrets:0", "whsec_not base64!", "Webhooks:SigningSecrets:0")]
    [InlineData("Webhooks:SigningSecrets:0", "whsec_AAAAAAAAAAAAAAAAAAAAAA==", "Webhooks:SigningSecrets:0")]
    [InlineData("Webhooks:SigningSecrets:1", "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "Webhooks:SigningSecrets:1")]
    [InlineData("Webhooks:AllowedHosts:0", "http://127.0.0.1:5000/", "Webhooks:AllowedHosts:0")]
    [InlineData("Webhooks:AllowedHosts:0", "receiver host", "Webhooks:AllowedHosts:0")]
    [InlineData("Webhooks:TimeoutSeconds", "0", "TimeoutSeconds")]
    [InlineData("Webhooks:ResponseBodyLimitBytes", "0", "ResponseBodyLimitBytes")]
    [InlineData("Webhooks:FirstRetryDelayMilliseconds", "0", "FirstRetryDelayMilliseconds")]
    [InlineData("Webhooks:MaxRetryDelaySeconds", "-1", "MaxRetryDelaySeconds")]
    [InlineData("Webhooks:GiveUpAfterMinutes", "0", "GiveUpAfterMinutes")]
    [InlineData("Webhooks:PollIntervalMilliseconds", "0", "PollIntervalMilliseconds")]
    [InlineData("Webhooks:BatchSize", "0", "BatchSize")]
    public async Task An_invalid_setting_stops_the_start_and_is_named(string key, string value, string named)
    {
        var settings = WebhookServices.Settings();
        settings[key] = value;
        using var host = WebhookServices.Build(settings);

        var refusal = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains(named, refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_malformed_secret_is_not_repeated_in_the_message()
    {
        const string leakedLooking = "whsec_c2VjcmV0";
        var settings = WebhookServices.Settings();
        settings["Webhooks:SigningSecrets:0"] = leakedLooking;
        using var host = WebhookServices.Build(settings);

        var refusal = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.DoesNotContain("c2VjcmV0", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Valid_settings_with_a_rotated_secret_and_allowed_hosts_start()
    {
        var settings = WebhookServices.Settings("127.0.0.1", "[::1]", "receiver.internal");
        settings["Webhooks:SigningSecrets:1"] = WebhookServices.OtherSecret;
        using var host = WebhookServices.Build(settings);

        await host.StartAsync(TestContext.Current.CancellationToken);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }
}
