using System.Net;
using System.Net.Sockets;

namespace Platform.Testing;

public static class LoopbackPort
{
    /// <summary>A loopback port free at the moment of asking, for a host that a browser or another process must reach.</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
