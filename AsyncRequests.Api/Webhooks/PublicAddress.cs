using System.Net;
using System.Net.Sockets;

namespace AsyncRequests.Api.Webhooks;

/// <summary>
/// Which addresses a webhook may reach: only public ones, so a callbackUrl cannot make the server call
/// itself, its private network or a cloud metadata endpoint.
/// </summary>
public static class PublicAddress
{
    private static readonly IPNetwork[] NonPublicIPv4 =
    [
        IPNetwork.Parse("0.0.0.0/8"),
        IPNetwork.Parse("10.0.0.0/8"),
        IPNetwork.Parse("100.64.0.0/10"),
        IPNetwork.Parse("127.0.0.0/8"),
        IPNetwork.Parse("169.254.0.0/16"),
        IPNetwork.Parse("172.16.0.0/12"),
        IPNetwork.Parse("192.0.0.0/24"),
        IPNetwork.Parse("192.0.2.0/24"),
        IPNetwork.Parse("192.168.0.0/16"),
        IPNetwork.Parse("198.18.0.0/15"),
        IPNetwork.Parse("198.51.100.0/24"),
        IPNetwork.Parse("203.0.113.0/24"),
        IPNetwork.Parse("224.0.0.0/4"),
        IPNetwork.Parse("240.0.0.0/4"),
    ];

    // Only global unicast (2000::/3) is public in IPv6; that alone leaves out ::, ::1, 100::/64,
    // fc00::/7 (with fd00:ec2::254), fe80::/10, fec0::/10 and ff00::/8.
    private static readonly IPNetwork GlobalUnicast = IPNetwork.Parse("2000::/3");

    private static readonly IPNetwork[] NonPublicGlobalUnicast =
    [
        IPNetwork.Parse("2001:db8::/32"),
        // Teredo hides its IPv4 endpoint; 6to4 (2002::/16) shows it and is judged by it below.
        IPNetwork.Parse("2001::/32"),
    ];

    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");

    public static bool IsPublic(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return !address.Equals(IPAddress.Broadcast) && !NonPublicIPv4.Any(network => network.Contains(address));
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return false;
        }

        // Addresses that carry an IPv4 address reach that address, so they are judged by it.
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        if (address.IsIPv4MappedToIPv6 || bytes[..12].IndexOfAnyExcept((byte)0) < 0 || Nat64.Contains(address))
        {
            return IsPublic(new IPAddress(bytes[12..]));
        }

        if (SixToFour.Contains(address))
        {
            return IsPublic(new IPAddress(bytes[2..6]));
        }

        return GlobalUnicast.Contains(address) && !NonPublicGlobalUnicast.Any(network => network.Contains(address));
    }
}
