using System.Net;
using System.Net.Sockets;

namespace AsyncRequests.LocalServers;

public static class FreePort
{
    // The OS may hand a just-released port out again; servers started in parallel must not share one.
    private static readonly HashSet<int> Handed = [];

    /// <summary>A loopback port that is free now and not yet given to another server of this test run.</summary>
    public static int Next()
    {
        lock (Handed)
        {
            while (true)
            {
                using var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                if (Handed.Add(port))
                {
                    return port;
                }
            }
        }
    }
}
