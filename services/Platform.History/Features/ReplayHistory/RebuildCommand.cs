using System.CommandLine;
using Spectre.Console;

namespace Platform.History.Features.ReplayHistory;

/// <summary><c>rebuild</c>: rebuilds every projection from the event store. Stop the history service first.</summary>
public static class RebuildCommand
{
    public const string Name = "rebuild";

    public static Command Create(IServiceProvider services)
    {
        var command = new Command(Name, "Rebuild every projection from the stored events (stop the running history service first).");
        command.SetAction(async (_, ct) =>
        {
            var rebuilder = services.GetRequiredService<ProjectionRebuilder>();
            RebuildReport? report = null;
            await AnsiConsole.Status().StartAsync("Reading the event store", async status =>
                report = await rebuilder.RebuildAllAsync(message => status.Status(message), ct));
            AnsiConsole.MarkupLineInterpolated(
                $"Rebuilt runs and job summaries over [green]{report!.Events:N0}[/] events in {report.Elapsed.TotalSeconds:F1} s ({report.EventsPerSecond:N0} events/s).");
            return 0;
        });
        return command;
    }
}
