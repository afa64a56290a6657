using System.Text;
using AsyncRequests.Client.AspNetCore;
using AsyncRequests.Tests.Webhooks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;

namespace AsyncRequests.Tests.WebhookReceiving;

/// <summary>The verifier on what the Api's signer produces, at the edges the end-to-end tests do not reach.</summary>
public sealed class WebhookSignatureVerifierTests
{
    private static readonly byte[] s_body = Encoding.UTF8.GetBytes("""{"status":"succeeded"}""");
    private static readonly DateTimeOffset s_sentAt = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(-300, WebhookVerification.Valid)]
    [InlineData(300, WebhookVerification.Valid)]
    [InlineData(-301, WebhookVerification.TimestampInFuture)]
    [InlineData(301, WebhookVerification.TimestampTooOld)]
    public void A_timestamp_is_accepted_up_to_the_tolerance_either_way_and_refused_a_second_past_it(int receiverClockAheadSeconds, WebhookVerification expected)
    {
        var verifier = Verifier(s_sentAt.AddSeconds(receiverClockAheadSeconds), WebhookServices.Secret);

        Assert.Equal(expected, verifier.Verify(Signed(s_body, WebhookServices.Secret), s_body));
    }

    [Fact]
    public void Signatures_of_another_version_or_malformed_ones_are_skipped_and_a_valid_one_after_them_counts()
    {
        var headers = Signed(s_body, WebhookServices.Secret);
        var valid = headers[WebhookHeaders.Signature].ToString();
        var verifier = Verifier(s_sentAt, WebhookServices.Secret);

        headers[WebhookHeaders.Signature] = $"v1a,{valid[3..]} v1,not-base64 v1,{Convert.ToBase64String(new byte[33])} garbage {valid}";
        Assert.Equal(WebhookVerification.Valid, verifier.Verify(headers, s_body));

        headers[WebhookHeaders.Signature] = $"v1a,{valid[3..]} v1,not-base64";
        Assert.Equal(WebhookVerification.SignatureMismatch, verifier.Verify(headers, s_body));
    }

    [Theory]
    [InlineData(WebhookHeaders.Id)]
    [InlineData(WebhookHeaders.Timestamp)]
    [InlineData(WebhookHeaders.Signature)]
    public void A_delivery_without_one_of_the_three_headers_is_refused(string missing)
    {
        var headers = Signed(s_body, WebhookServices.Secret);
        headers.Remove(missing);

        Assert.Equal(WebhookVerification.MissingHeaders, Verifier(s_sentAt, WebhookServices.Secret).Verify(headers, s_body));
    }

    [Fact]
    public void A_timestamp_that_is_not_unix_seconds_is_refused_before_any_signature_is_computed()
    {
        var headers = Signed(s_body, WebhookServices.Secret);
        headers[WebhookHeaders.Timestamp] = "2026-12-05T12:00:00Z";

        Assert.Equal(WebhookVerification.MissingHeaders, Verifier(s_sentAt, WebhookServices.Secret).Verify(headers, s_body));
    }

    private static WebhookSignatureVerifier Verifier(DateTimeOffset now, string secret) => ApiSignatures.Verifier(new FakeTimeProvider(now), secret);

    private static HeaderDictionary Signed(byte[] body, string secret) => ApiSignatures.Sign(body, s_sentAt, secret);
}
