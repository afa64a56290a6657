using System.Net;
using System.Net.Sockets;
using AsyncRequests.Requests.RequestTypes;
using Microsoft.Extensions.Options;

namespace AsyncRequests.Api.Webhooks;

/// <summary>
/// The submit-time check of a callbackUrl: null when acceptable, otherwise a message for a 400
/// validation problem under the key <c>callbackUrl</c>. The host is resolved and every address must be
/// public unless <see cref="WebhookOptions.AllowedHosts"/> lists the host; the sender checks again at connect.
/// </summary>
public sealed class CallbackUrlValidator(IOptions<WebhookOptions> options)
{
    public const int MaximumLength = 2_000;

    public async Task<string?> FindProblemAsync(string callbackUrl, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (!settings.Enabled)
        {
            return "Webhooks are not configured on this server, so a callbackUrl cannot be accepted; submit without one.";
        }

        if (callbackUrl.Length > MaximumLength)
        {
            return $"A callbackUrl may be at most {MaximumLength} characters long.";
        }

        if (StorableText.FindProblem(callbackUrl) is { } textProblem)
        {
            return textProblem;
        }

        if (!Uri.TryCreate(callbackUrl, UriKind.Absolute, out var url) || url.Scheme is not ("https" or "http") || url.IdnHost.Length == 0)
        {
            return "A callbackUrl must be an absolute https URL, such as https://example.com/hooks/requests.";
        }

        if (url.Scheme == Uri.UriSchemeHttp && !settings.AllowInsecureHttp)
        {
            return "A callbackUrl must use https; this server does not call plain http URLs.";
        }

        // Port 0 is no port anyone listens on: whatever connected there would not be the receiver.
        if (url.Port == 0)
        {
            return "A callbackUrl must not use port 0.";
        }

        // Credentials in a URL would be stored with the request and shown wherever the URL is.
        if (url.UserInfo.Length > 0)
        {
            return "A callbackUrl must not contain credentials (user:password@); verify the webhook signature instead.";
        }

        if (settings.AllowsHost(url.IdnHost))
        {
            return null;
        }

        IPAddress[] addresses;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(settings.TimeoutSeconds));
        try
        {
            addresses = await CallbackAddressGuard.ResolveAsync(url.IdnHost, timeout.Token);
        }
        catch (Exception exception) when (exception is SocketException or ArgumentException
            || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            addresses = [];
        }

        if (addresses.Length == 0)
        {
            return $"The callbackUrl's host '{url.IdnHost}' could not be resolved.";
        }

        // The address stays out of the message: it would tell a caller what internal names resolve to.
        return addresses.All(PublicAddress.IsPublic)
            ? null
            : $"The callbackUrl's host '{url.IdnHost}' resolves to a loopback, private, link-local or otherwise non-public address; webhooks are only sent to public addresses.";
    }
}
