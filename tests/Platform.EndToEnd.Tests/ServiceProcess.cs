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

    private ServiceProcess(string name, Dictionary<string, string> environment, string[]? command = null, int? port = null)
    {
        Port = port ?? LoopbackPort.Free();
        process = Process.Start(StartInfo(name, environment, command ?? ["--urls", BaseAddress.ToString()]))!;
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Port { get; }

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");

    /// <summary>A client of this service's reads (history's JSON API, the notifier's), with their key.</summary>
    public HttpClient Client() => new HttpClient { BaseAddress = BaseAddress }.WithReadKey();

    public string Output { get { lock (output) return output.ToString(); } }

    /// <summary>Runs one of a service's commands (such as history's <c>rebuild</c>) to its end; returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunCommandAsync(string name, Dictionary<string, string> environment, params string[] command)
    {
        await using var run = new ServiceProcess(name, environment, command);
        await run.process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        return (run.process.ExitCode, run.Output);
    }

    private static ProcessStartInfo StartInfo(string name, Dictionary<string, string> environment, string[] arguments)
    {
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        var dll = Path.Combine(RepositoryPaths.Root, "services", name, "bin", configuration, "net10.0", name + ".dll");
        var start = new ProcessStartInfo("dotnet", [dll, .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        start.Environment["AWS_EC2_METADATA_DISABLED"] = "true";
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        // The reads' keys: history's (the dashboard's, which the digest sends) and the notifier's.
        start.Environment["Dashboard__AccessKey"] = AllInOneTestHost.ReadKey;
        start.Environment["Digest__HistoryApiKey"] = AllInOneTestHost.ReadKey;
        start.Environment["Notifier__ReadApiKey"] = AllInOneTestHost.ReadKey;
        foreach (var (key, value) in environment)
            start.Environment[key] = value;
        return start;
    }

    /// <summary>Starts a service and waits until it is healthy; <paramref name="port"/> keeps a restarted one where others call it.</summary>
    public static async Task<ServiceProcess> StartAsync(string name, Dictionary<string, string> environment, int? port = null)
    {
        var service = new ServiceProcess(name, environment, port: port);
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

    private int disposed;

    /// <summary>Kills the process (SIGKILL) and its children; again, does nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1)
            return;
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        process.Dispose();
    }
}
