using System.CommandLine;
using System.Text;
using Platform.Contracts.Ingest;
using Platform.Ingest.Features.NormalizeEcsEvents;
using Spectre.Console;

namespace Platform.Ingest.Features.ImportEvents;

/// <summary>
/// <c>import FILE</c>: backfills events from a JSON array or from one event per line (an EventBridge archive
/// export), publishing them exactly as <c>POST /events</c> does.
/// </summary>
public static class ImportCommand
{
    public const string Name = "import";
    private const int LinesPerBatch = 500;

    public static Command Create(IServiceProvider services)
    {
        var file = new Argument<FileInfo>("file") { Description = "A JSON array of EventBridge events, or one event per line." };
        var command = new Command(Name, "Backfill ECS events from a file.") { file };
        command.SetAction((result, ct) => RunAsync(services, result.GetValue(file)!, ct));
        return command;
    }

    private static async Task<int> RunAsync(IServiceProvider services, FileInfo file, CancellationToken ct)
    {
        if (!file.Exists)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]No such file:[/] {file.FullName}");
            return 2;
        }
        var parser = services.GetRequiredService<EcsEventParser>();
        var sender = services.GetRequiredService<EcsEventsSender>();
        var totals = new ImportTotals();

        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async progress =>
            {
                var task = progress.AddTask($"Importing {file.Name}", maxValue: file.Length);
                await using var stream = file.OpenRead();
                foreach (var chunk in ReadChunks(stream))
                {
                    var batch = parser.Parse(chunk.Json);
                    if (!batch.IsValid)
                    {
                        totals.Rejected += chunk.Events;
                        foreach (var error in batch.Errors)
                            AnsiConsole.MarkupLineInterpolated($"[yellow]line {chunk.FirstLine}+:[/] {error.Message}");
                    }
                    else
                    {
                        // An archive is the past: stored and shown, never acted on (no relaunch, no stop).
                        batch.Replayed = true;
                        await sender.SendAsync(batch, ct);
                        totals.Accepted += batch.Accepted;
                        totals.Ignored += batch.Ignored;
                    }
                    task.Value = stream.Position;
                }
            });

        AnsiConsole.MarkupLineInterpolated($"Published [green]{totals.Accepted}[/] event(s), ignored {totals.Ignored}, rejected [red]{totals.Rejected}[/].");
        return totals.Rejected == 0 ? 0 : 1;
    }

    private sealed record Chunk(byte[] Json, int Events, int FirstLine);

    private sealed class ImportTotals
    {
        public int Accepted { get; set; }
        public int Ignored { get; set; }
        public int Rejected { get; set; }
    }

    /// <summary>A file that starts with '[' is one JSON array; otherwise each non-empty line is an event, sent in batches.</summary>
    private static IEnumerable<Chunk> ReadChunks(Stream stream)
    {
        var first = stream.ReadByte();
        while (first is ' ' or '\n' or '\r' or '\t' or 0xEF or 0xBB or 0xBF)
            first = stream.ReadByte();
        stream.Position = Math.Max(0, stream.Position - 1);
        if (first == '[')
        {
            using var all = new MemoryStream();
            stream.CopyTo(all);
            yield return new Chunk(all.ToArray(), 1, 1);
            yield break;
        }

        using var reader = new StreamReader(stream, Encoding.UTF8, leaveOpen: true);
        var lines = new List<string>(LinesPerBatch);
        var lineNumber = 0;
        var firstLine = 1;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
                continue;
            lines.Add(line);
            if (lines.Count == LinesPerBatch)
            {
                yield return ToChunk(lines, firstLine);
                lines.Clear();
                firstLine = lineNumber + 1;
            }
        }
        if (lines.Count > 0)
            yield return ToChunk(lines, firstLine);
    }

    private static Chunk ToChunk(List<string> lines, int firstLine) =>
        new(Encoding.UTF8.GetBytes("[" + string.Join(",", lines) + "]"), lines.Count, firstLine);
}
