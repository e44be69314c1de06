using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Platform.EcsSamples;
using Platform.Ingest.Features.ImportEvents;
using Platform.ServiceDefaults;
using Xunit;

namespace Platform.Ingest.Tests.Features.ImportEvents;

public class ImportCommandTests : IAsyncLifetime
{
    private readonly EcsEventFactory ecs = new();
    private readonly IngestApp app = new();
    private readonly string file = Path.GetTempFileName();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        File.Delete(file);
    }

    [Fact]
    public async Task An_archive_export_with_one_event_per_line_is_sent_like_posted_events()
    {
        var events = Enumerable.Range(0, 80).SelectMany(i => ecs.Run("etl", DateTimeOffset.UtcNow.AddHours(-i), TimeSpan.FromMinutes(3))).ToList();
        events.Add(ecs.LaunchFailure("etl", DateTimeOffset.UtcNow, "AGENT"));
        await File.WriteAllLinesAsync(file, events.Select(e => e.ToJsonString()).Append(""));

        var exit = await Import(file);

        Assert.Equal(0, exit);
        var sent = app.SentBatches();
        Assert.Equal(events.Count - 1, sent.Sum(b => b.TaskStateChanges.Count));
        Assert.Single(sent.SelectMany(b => b.LaunchFailures));
        Assert.Equal(events.Select(e => e["id"]!.GetValue<string>()).Order(),
            sent.SelectMany(b => b.TaskStateChanges.Select(c => c.EventId).Concat(b.LaunchFailures.Select(f => f.EventId))).Order());
    }

    [Fact]
    public async Task A_json_array_file_is_imported_and_a_bad_line_fails_the_import_without_sending_its_batch()
    {
        var run = ecs.Run("etl", DateTimeOffset.UtcNow, TimeSpan.FromMinutes(3));
        await File.WriteAllTextAsync(file, new System.Text.Json.Nodes.JsonArray([.. run]).ToJsonString());
        Assert.Equal(0, await Import(file));
        Assert.Equal(run.Count, app.SentBatches().Sum(b => b.TaskStateChanges.Count));

        await File.WriteAllLinesAsync(file, [run[0].ToJsonString(), "{\"detail\": 3}"]);
        Assert.Equal(1, await Import(file));
        Assert.Equal(run.Count, app.SentBatches().Sum(b => b.TaskStateChanges.Count));
    }

    private Task<int> Import(string path)
    {
        var command = app.Services.GetServices<PlatformCommand>().Single(c => c.Name == ImportCommand.Name).Create(app.Services);
        var root = new RootCommand { command };
        return root.Parse(["import", path]).InvokeAsync();
    }
}
