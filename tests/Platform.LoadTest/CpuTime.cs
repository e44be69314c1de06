using System.Text.RegularExpressions;

namespace Platform.LoadTest;

/// <summary>
/// CPU time used on this machine by each part of the pipeline (Linux, from <c>/proc</c>): PostgreSQL, RabbitMQ, each
/// platform service and this tool. Throughput alone does not say whether a run was bound by a core or by waiting;
/// the CPU each part spends per event, against what the machine has, does.
/// </summary>
public sealed partial class CpuTime
{
    private const double TicksPerSecond = 100; // USER_HZ: 100 on every Linux kernel .NET runs on
    private readonly Dictionary<string, double> seconds;
    private readonly DateTimeOffset at;

    private CpuTime(Dictionary<string, double> seconds, DateTimeOffset at) => (this.seconds, this.at) = (seconds, at);

    public static bool Available => Directory.Exists("/proc/self");

    public static CpuTime Sample()
    {
        var seconds = new Dictionary<string, double>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
                continue;
            try
            {
                if (PartOf(pid, File.ReadAllText(Path.Combine(dir, "cmdline"))) is not { } part)
                    continue;
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                // utime, stime, cutime and cstime are the line's 14th to 17th fields (the 12th to 15th after the
                // command's closing parenthesis). A PostgreSQL backend that ends counts in its parent's cutime from then.
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var ticks = long.Parse(fields[11]) + long.Parse(fields[12]) + long.Parse(fields[13]) + long.Parse(fields[14]);
                seconds[part] = seconds.GetValueOrDefault(part) + ticks / TicksPerSecond;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended while it was read.
            }
        }
        return new CpuTime(seconds, DateTimeOffset.UtcNow);
    }

    public CpuUsage Since(CpuTime earlier) => new(
        [.. seconds.Select(p => (Part: p.Key, Seconds: p.Value - earlier.seconds.GetValueOrDefault(p.Key)))
            .Where(p => p.Seconds >= 0.01).OrderByDescending(p => p.Seconds)],
        at - earlier.at);

    private static string? PartOf(int pid, string commandLine)
    {
        if (pid == Environment.ProcessId)
            return "load tool";
        var program = commandLine.Split('\0')[0];
        if (program.EndsWith("/postgres", StringComparison.Ordinal) || commandLine.StartsWith("postgres:", StringComparison.Ordinal))
            return "postgres";
        if (program.EndsWith("/beam.smp", StringComparison.Ordinal))
            return "rabbitmq";
        return ServiceDll().Match(commandLine) is { Success: true } service ? service.Groups[1].Value.ToLowerInvariant() : null;
    }

    [GeneratedRegex(@"Platform\.(History|Ingest|Notifier|Retry|Digest|AllInOne)\.dll")]
    private static partial Regex ServiceDll();
}

/// <summary>CPU seconds each part used over a phase, largest first, and the phase's wall time.</summary>
public sealed record CpuUsage(IReadOnlyList<(string Part, double Seconds)> Parts, TimeSpan Wall)
{
    public double Total => Parts.Sum(p => p.Seconds);

    public double Of(string part) => Parts.FirstOrDefault(p => p.Part == part).Seconds;

    /// <summary>The share of the machine's cores the phase used.</summary>
    public double Busy => Total / (Wall.TotalSeconds * Environment.ProcessorCount);

    public string Describe(int events) =>
        string.Join(", ", Parts.Select(p => $"{p.Part} {p.Seconds:F2} s")) +
        $"; {Total:F2} s in all over {Wall.TotalSeconds:F1} s on {Environment.ProcessorCount} cores ({Busy:P0} busy), {Total * 1000 / events:F3} ms per event";
}
