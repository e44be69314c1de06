using System.Net;
using System.Net.Sockets;
using System.Text;
using Platform.Testing;
using Xunit;

namespace Platform.Notifier.Tests.Features.ViewDeliveries;

/// <summary>The notifier's reads show alert texts and task ARNs: each needs the read key or the admin key.</summary>
[Collection(NotifierCollection.Name)]
public class ReadAccessTests(PostgresFixture postgres) : NotifierTestBase(postgres)
{
    [Fact]
    public async Task Every_read_needs_the_read_or_the_admin_key()
    {
        var anonymous = App.CreateClient();
        var wrong = App.CreateClient().WithReadKey("wrong-key-0123456789012");
        var reader = App.ApiClient();
        var admin = App.CreateClient().WithReadKey(NotifierApp.AdminKey);
        foreach (var path in new[] { "/deliveries", "/incidents", "/silences" })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(path)).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync(path)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync(path)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync(path)).StatusCode);
        }
        // The read key does not make silences.
        Assert.Equal(HttpStatusCode.Unauthorized,
            (await reader.PostAsync("/silences", new StringContent("""{"job":"x","until":"2030-01-01T00:00:00Z"}""", System.Text.Encoding.UTF8, "application/json"))).StatusCode);
    }

    [Fact]
    public async Task A_request_without_the_key_is_refused_before_its_body_is_read()
    {
        // Over a real socket (Kestrel on loopback): headers announcing 20 MB, then only 64 KB of it. Had the notifier
        // waited for the body (to bind it) before checking the key, no answer could come.
        await using var real = Start();
        real.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        real.StartServer();
        var address = real.ClientOptions.BaseAddress;
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, address.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"POST /silences HTTP/1.1\r\nHost: 127.0.0.1:{address.Port}\r\nContent-Type: application/json\r\nContent-Length: {20 * 1024 * 1024}\r\n\r\n"));
        await stream.WriteAsync(new byte[64 * 1024]);

        var answer = new byte[4096];
        var read = await stream.ReadAsync(answer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.StartsWith("HTTP/1.1 401", Encoding.ASCII.GetString(answer, 0, read));
    }
}
