using System.CommandLine;
using Spectre.Console;

namespace Platform.History.Features.ReplayHistory;

/// <summary><c>export</c>: writes the timeline of one job or all jobs over a time range as JSON lines or CSV.</summary>
public static class ExportCommand
{
    public const string Name = "export";

    public static Command Create(IServiceProvider services)
    {
        var job = new Option<string?>("--job") { Description = "Only this job (default: all jobs)." };
        var from = new Option<DateTimeOffset?>("--from") { Description = "Events at or after this time (ISO 8601)." };
        var to = new Option<DateTimeOffset?>("--to") { Description = "Events before this time (ISO 8601)." };
        var format = new Option<TimelineFormat>("--format") { Description = "jsonl or csv.", DefaultValueFactory = _ => TimelineFormat.Jsonl };
        var output = new Option<FileInfo?>("--output", "-o") { Description = "The file to write (default: standard output)." };
        var command = new Command(Name, "Export the timeline of stored events for audits.") { job, from, to, format, output };
        command.SetAction(async (result, ct) =>
        {
            var exporter = services.GetRequiredService<TimelineExporter>();
            var file = result.GetValue(output);
            if (file is null)
            {
                await exporter.ExportAsync(Console.Out, result.GetValue(format), result.GetValue(job), result.GetValue(from), result.GetValue(to), null, ct);
                return 0;
            }

            var written = 0;
            await using (var writer = new StreamWriter(file.FullName))
            {
                await AnsiConsole.Progress().StartAsync(async progress =>
                {
                    var task = progress.AddTask("Exporting");
                    written = await exporter.ExportAsync(writer, result.GetValue(format), result.GetValue(job), result.GetValue(from),
                        result.GetValue(to), (read, total) => { task.MaxValue = Math.Max(total, 1); task.Value = read; }, ct);
                    task.Value = task.MaxValue;
                });
            }
            AnsiConsole.MarkupLineInterpolated($"Wrote [green]{written:N0}[/] event(s) to {file.FullName}.");
            return 0;
        });
        return command;
    }
}
