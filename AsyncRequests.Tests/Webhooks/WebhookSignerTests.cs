using System.Text;
using AsyncRequests.Api.Webhooks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace AsyncRequests.Tests.Webhooks;

public sealed class WebhookSignerTests
{
    private static WebhookSigner Signer(params string[] secrets) => new(Options.Create(new WebhookOptions { SigningSecrets = secrets }));

    // The example the Standard Webhooks reference libraries sign in their own tests.
    [Fact]
    public void The_signature_matches_the_standard_webhooks_reference_example()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "https://example.com/");

        Signer(WebhookServices.Secret).Sign(request, "msg_p5jXN8AQM9LWM0D4loKWxJek", DateTimeOffset.FromUnixTimeSeconds(1614265330), """{"test": 2432232314}"""u8);

        Assert.Equal("msg_p5jXN8AQM9LWM0D4loKWxJek", Assert.Single(request.Headers.GetValues("webhook-id")));
        Assert.Equal("1614265330", Assert.Single(request.Headers.GetValues("webhook-timestamp")));
        Assert.Equal("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", Assert.Single(request.Headers.GetValues("webhook-signature")));
    }

    [Fact]
    public void Every_secret_signs_so_a_receiver_holding_either_one_verifies_during_rotation()
    {
        var body = Encoding.UTF8.GetBytes("""{"status":"Succeeded"}""");
        var headers = Signed(Signer(WebhookServices.Secret, WebhookServices.OtherSecret), DateTimeOffset.UtcNow, body);

        Assert.True(ReceiverVerification.Verify(WebhookServices.Secret, headers, body));
        Assert.True(ReceiverVerification.Verify(WebhookServices.OtherSecret, headers, body));
        Assert.False(ReceiverVerification.Verify("whsec_" + Convert.ToBase64String(new byte[32]), headers, body));
    }

    [Fact]
    public void The_recipe_rejects_a_changed_body_a_changed_id_and_a_stale_or_future_timestamp()
    {
        var signer = Signer(WebhookServices.Secret);
        var body = Encoding.UTF8.GetBytes("""{"status":"Succeeded"}""");
        var now = DateTimeOffset.UtcNow;

        Assert.True(ReceiverVerification.Verify(WebhookServices.Secret, Signed(signer, now, body), body));
        Assert.False(ReceiverVerification.Verify(WebhookServices.Secret, Signed(signer, now, body), Encoding.UTF8.GetBytes("""{"status":"Failed"}""")));
        var otherId = Signed(signer, now, body);
        otherId["webhook-id"] = "msg_other";
        Assert.False(ReceiverVerification.Verify(WebhookServices.Secret, otherId, body));
        Assert.False(ReceiverVerification.Verify(WebhookServices.Secret, Signed(signer, now.AddMinutes(-6), body), body));
        Assert.False(ReceiverVerification.Verify(WebhookServices.Secret, Signed(signer, now.AddMinutes(6), body), body));
        Assert.False(ReceiverVerification.Verify(WebhookServices.Secret, new HeaderDictionary(), body));
    }

    private static HeaderDictionary Signed(WebhookSigner signer, DateTimeOffset timestamp, byte[] body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "https://example.com/");
        signer.Sign(request, "msg_2Yh8kq", timestamp, body);
        return new HeaderDictionary(request.Headers.ToDictionary(header => header.Key, header => new Microsoft.Extensions.Primitives.StringValues([.. header.Value])));
    }
}
