using System.Diagnostics;

namespace Platform.EndToEnd.Tests;

/// <summary>
/// A RabbitMQ virtual host of the test's own (RabbitMQ from PLATFORM_TEST_RABBITMQ, which .ci/run starts), so its
/// queues start empty and do not exist until a service declares them.
/// </summary>
public sealed class RabbitMqVirtualHost : IAsyncDisposable
{
    private RabbitMqVirtualHost(string name) => Name = name;

    public string Name { get; }

    public string Uri
    {
        get
        {
            var root = Environment.GetEnvironmentVariable("PLATFORM_TEST_RABBITMQ") ?? "amqp://guest:guest@127.0.0.1:5672/";
            return root.TrimEnd('/') + "/" + Name;
        }
    }

    public static async Task<RabbitMqVirtualHost> CreateAsync()
    {
        var vhost = new RabbitMqVirtualHost("e2e-" + Guid.NewGuid().ToString("N")[..12]);
        await RabbitMqCtl("add_vhost", vhost.Name);
        await RabbitMqCtl("set_permissions", "-p", vhost.Name, "guest", ".*", ".*", ".*");
        return vhost;
    }

    public async ValueTask DisposeAsync() => await RabbitMqCtl("delete_vhost", Name);

    /// <summary>The messages in each queue of this virtual host, by queue name (MassTransit's error queues end in <c>_error</c>).</summary>
    public async Task<Dictionary<string, long>> QueueDepthsAsync()
    {
        var output = await RabbitMqCtl("list_queues", "-p", Name, "name", "messages", "--no-table-headers");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split('\t', ' '))
            .Where(parts => parts.Length >= 2 && long.TryParse(parts[^1], out _))
            .ToDictionary(parts => parts[0], parts => long.Parse(parts[^1]));
    }

    private static async Task<string> RabbitMqCtl(params string[] args)
    {
        Process process;
        try
        {
            process = Process.Start(new ProcessStartInfo("rabbitmqctl", ["-q", .. args]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        }
        catch (Exception e)
        {
            throw new InvalidOperationException("The end-to-end tests need a local RabbitMQ and rabbitmqctl (bash .ci/run installs them).", e);
        }
        var output = process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"rabbitmqctl {string.Join(' ', args)} failed: {await process.StandardError.ReadToEndAsync()}");
        return await output;
    }
}
