using AsyncRequests.Api.Webhooks;
using Microsoft.Extensions.Options;

namespace AsyncRequests.Tests.Webhooks;

/// <summary>
/// The submit-time check. Public addresses appear only as IP literals, which need no DNS, and nothing
/// here connects anywhere; "localhost" resolves from the hosts file.
/// </summary>
public sealed class CallbackUrlValidatorTests
{
    private const string NonPublic = "non-public address";

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static CallbackUrlValidator Validator(bool allowInsecureHttp = false, string[]? allowedHosts = null, string[]? secrets = null) =>
        new(Options.Create(new WebhookOptions
        {
            SigningSecrets = secrets ?? [WebhookServices.Secret],
            AllowInsecureHttp = allowInsecureHttp,
            AllowedHosts = allowedHosts ?? [],
        }));

    [Theory]
    [InlineData("https://1.1.1.1/hooks")]
    [InlineData("https://93.184.215.14:8443/hooks/requests?token=abc")]
    [InlineData("https://[2606:4700:4700::1111]/hooks")]
    [InlineData("https://[::ffff:1.1.1.1]/hooks")]
    public async Task A_https_url_on_a_public_address_is_accepted(string url) =>
        Assert.Null(await Validator().FindProblemAsync(url, Cancellation));

    [Theory]
    [InlineData("https://127.0.0.1/hooks")]
    [InlineData("https://127.1.2.3/hooks")]
    [InlineData("https://2130706433/hooks")]
    [InlineData("https://0x7f000001/hooks")]
    [InlineData("https://0.0.0.0/hooks")]
    [InlineData("https://10.1.2.3/hooks")]
    [InlineData("https://172.16.0.5/hooks")]
    [InlineData("https://192.168.1.1/hooks")]
    [InlineData("https://100.64.0.1/hooks")]
    [InlineData("https://169.254.169.254/latest/meta-data/")]
    [InlineData("https://[::1]/hooks")]
    [InlineData("https://[::]/hooks")]
    [InlineData("https://[fe80::1]/hooks")]
    [InlineData("https://[fd00:ec2::254]/latest/meta-data/")]
    [InlineData("https://[::ffff:127.0.0.1]/hooks")]
    [InlineData("https://[::ffff:a9fe:a9fe]/hooks")]
    [InlineData("https://[64:ff9b::a9fe:a9fe]/hooks")]
    [InlineData("https://localhost/hooks")]
    [InlineData("https://LOCALHOST:8443/hooks")]
    public async Task A_url_on_a_loopback_private_link_local_or_metadata_address_is_refused(string url) =>
        Assert.Contains(NonPublic, await Validator().FindProblemAsync(url, Cancellation));

    [Theory]
    [InlineData("http://1.1.1.1/hooks", false, "must use https")]
    [InlineData("ftp://1.1.1.1/hooks", true, "absolute https URL")]
    [InlineData("/hooks", true, "absolute https URL")]
    [InlineData("hooks.example.com/requests", true, "absolute https URL")]
    [InlineData("https://user:secret@1.1.1.1/hooks", false, "must not contain credentials")]
    [InlineData("https://token@1.1.1.1/hooks", false, "must not contain credentials")]
    [InlineData("https://1.1.1.1/ho\0oks", false, "NUL character")]
    [InlineData("https://1.1.1.1:0/hooks", false, "port 0")]
    [InlineData("http://127.0.0.1:0/hooks", true, "port 0")]
    public async Task A_url_that_is_not_absolute_https_or_carries_credentials_or_unstorable_text_is_refused(string url, bool allowInsecureHttp, string expected) =>
        Assert.Contains(expected, await Validator(allowInsecureHttp).FindProblemAsync(url, Cancellation));

    // Built here: a lone surrogate does not survive as theory data.
    [Fact]
    public async Task A_url_with_a_lone_surrogate_is_refused() =>
        Assert.Contains("lone surrogate", await Validator().FindProblemAsync("https://1.1.1.1/" + '\ud800', Cancellation));

    [Fact]
    public async Task Plain_http_is_accepted_only_when_allowed()
    {
        Assert.Null(await Validator(allowInsecureHttp: true).FindProblemAsync("http://1.1.1.1/hooks", Cancellation));
        Assert.Contains("must use https", await Validator().FindProblemAsync("http://1.1.1.1/hooks", Cancellation));
    }

    [Fact]
    public async Task An_overlong_url_is_refused() =>
        Assert.Contains("at most 2000 characters", await Validator().FindProblemAsync($"https://1.1.1.1/{new string('a', 2_000)}", Cancellation));

    // Longer than DNS allows (255), so the resolver refuses it without sending a query anywhere.
    [Fact]
    public async Task A_host_that_cannot_be_resolved_is_refused()
    {
        var host = string.Join('.', Enumerable.Repeat(new string('a', 60), 5)) + ".example";

        Assert.Contains("could not be resolved", await Validator().FindProblemAsync($"https://{host}/hooks", Cancellation));
    }

    [Fact]
    public async Task Without_a_signing_secret_any_callback_url_is_refused_as_not_configured() =>
        Assert.Contains("Webhooks are not configured", await Validator(secrets: []).FindProblemAsync("https://1.1.1.1/hooks", Cancellation));

    [Theory]
    [InlineData("http://127.0.0.1:5000/hooks", "127.0.0.1")]
    [InlineData("http://localhost:5000/hooks", "LocalHost")]
    [InlineData("http://[::1]:5000/hooks", "[0:0::1]")]
    public async Task A_host_listed_in_allowed_hosts_is_accepted_although_not_public(string url, string allowedHost)
    {
        Assert.Null(await Validator(allowInsecureHttp: true, allowedHosts: [allowedHost]).FindProblemAsync(url, Cancellation));
        Assert.Contains(NonPublic, await Validator(allowInsecureHttp: true, allowedHosts: ["127.0.0.2", "example.com"]).FindProblemAsync(url, Cancellation));
    }
}
