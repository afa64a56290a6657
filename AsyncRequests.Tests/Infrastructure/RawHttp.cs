using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace AsyncRequests.Tests.Infrastructure;

/// <summary>
/// HTTP over a plain socket, for requests an HTTP client refuses to send: header bytes it would reject,
/// or a body whose framing is broken. The request should ask the server to close the connection after it.
/// </summary>
public static class RawHttp
{
    /// <summary>Sends <paramref name="request"/> and reads the answer until the server closes the connection.</summary>
    public static async Task<(int Status, string Body)> SendAsync(Uri server, byte[] request, CancellationToken ct)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port, ct);
        await using var stream = client.GetStream();
        await stream.WriteAsync(request, ct);
        return await ReadAnswerAsync(stream, ct);
    }

    private static async Task<(int Status, string Body)> ReadAnswerAsync(NetworkStream stream, CancellationToken ct)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var answer = await reader.ReadToEndAsync(ct);
        if (answer.Length == 0)
        {
            return (0, string.Empty);
        }

        var status = int.Parse(answer.Split(' ', 3)[1], CultureInfo.InvariantCulture);
        var bodyStart = answer.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        return (status, bodyStart < 0 ? string.Empty : answer[(bodyStart + 4)..]);
    }
}
