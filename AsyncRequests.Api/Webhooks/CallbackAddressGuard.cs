using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace AsyncRequests.Api.Webhooks;

/// <summary>
/// The webhook connection's <see cref="SocketsHttpHandler.ConnectCallback"/>: it resolves the host itself
/// and connects only when every address is public (or the host is allowed), so a name that resolved to a
/// public address at submit and to an internal one now (DNS rebinding) is still refused.
/// </summary>
public sealed partial class CallbackAddressGuard(IOptions<WebhookOptions> options, ILogger<CallbackAddressGuard> logger)
{
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = await ResolveAsync(host, cancellationToken);
        if (!options.Value.AllowsHost(host) && addresses.FirstOrDefault(address => !PublicAddress.IsPublic(address)) is { } refused)
        {
            LogRefused(logger, host, refused);
            throw new CallbackAddressRefusedException(host, refused);
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The addresses of a URL's host; an IP literal (IPv6 in brackets or not) is its own answer, without DNS.</summary>
    public static async Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) =>
        IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);

    // Worth a warning: the URL passed the same check at submit, so its name now resolves elsewhere.
    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook connection to {Host} refused: it resolves to the non-public address {Address}")]
    private static partial void LogRefused(ILogger logger, string host, IPAddress address);
}

/// <summary>A callback host resolved to an address that webhooks may not reach.</summary>
public sealed class CallbackAddressRefusedException(string host, IPAddress address)
    : IOException($"The callback host '{host}' resolves to {address}, which is not a public address; webhooks are not sent there.")
{
    public IPAddress Address { get; } = address;
}
