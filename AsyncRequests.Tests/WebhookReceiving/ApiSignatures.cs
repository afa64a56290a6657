using AsyncRequests.Api.Webhooks;
using AsyncRequests.Client.AspNetCore;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace AsyncRequests.Tests.WebhookReceiving;

/// <summary>The two sides without HTTP: the Api's own signer, and the package's verifier.</summary>
internal static class ApiSignatures
{
    /// <summary>The headers the Api's signer puts on a delivery of <paramref name="body"/>.</summary>
    public static HeaderDictionary Sign(byte[] body, DateTimeOffset sentAt, params string[] secrets)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "https://example.com/");
        new WebhookSigner(Options.Create(new WebhookOptions { SigningSecrets = secrets })).Sign(request, "msg_2Yh8kq", sentAt, body);
        return new HeaderDictionary(request.Headers.ToDictionary(header => header.Key, header => new StringValues([.. header.Value])));
    }

    public static WebhookSignatureVerifier Verifier(TimeProvider time, params string[] secrets)
    {
        var options = new WebhookReceiverOptions();
        foreach (var secret in secrets)
        {
            options.SigningSecrets.Add(secret);
        }

        return new WebhookSignatureVerifier(Options.Create(options), time);
    }
}
