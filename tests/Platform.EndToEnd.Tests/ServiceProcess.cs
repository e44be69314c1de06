using System.Diagnostics;
using System.Net;
using System.Text;
using Platform.Testing;

namespace Platform.EndToEnd.Tests;

/// <summary>One platform service as its own process (the built dll, as a container would run it), on a free loopback port.</summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();

    private ServiceProcess(string name, Dictionary<string, string> environment)
    {
        Port = LoopbackPort.Free();
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        var dll = Path.Combine(RepositoryPaths.Root, "services", name, "bin", configuration, "net10.0", name + ".dll");
        var start = new ProcessStartInfo("dotnet", [dll, "--urls", BaseAddress.ToString()])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        start.Environment["AWS_EC2_METADATA_DISABLED"] = "true";
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in environment)
            start.Environment[key] = value;
        process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Port { get; }

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");

    public string Output { get { lock (output) return output.ToString(); } }

    public static async Task<ServiceProcess> StartAsync(string name, Dictionary<string, string> environment)
    {
        var service = new ServiceProcess(name, environment);
        using var http = new HttpClient { BaseAddress = service.BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (service.process.HasExited)
                throw new InvalidOperationException($"{name} exited with {service.process.ExitCode}:\n{service.Output}");
            try
            {
                if ((await http.GetAsync("/health")).StatusCode == HttpStatusCode.OK)
                    return service;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{name} did not become healthy:\n{service.Output}");
            await Task.Delay(200);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        process.Dispose();
    }
}
