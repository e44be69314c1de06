using System.CommandLine;
using Platform.LoadTest;

var ingest = new Option<string>("--ingest") { Description = "Ingest's base address (loopback only).", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
var apiKey = new Option<string>("--api-key") { Description = "Ingest's API key.", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("Ingest__ApiKey") ?? "" };
var postgres = new Option<string>("--postgres") { Description = "History's database, read to time each stored event.", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("ConnectionStrings__Postgres") ?? "" };
var schema = new Option<string>("--schema") { DefaultValueFactory = _ => "platform" };
var runs = new Option<int>("--runs") { Description = "Runs to generate (about 8 events each).", DefaultValueFactory = _ => 2_500 };
var jobs = new Option<int>("--jobs") { DefaultValueFactory = _ => 200 };
var batch = new Option<int>("--batch") { Description = "Events per POST.", DefaultValueFactory = _ => 100 };
var concurrency = new Option<int>("--concurrency") { Description = "POSTs in flight.", DefaultValueFactory = _ => 8 };
var rate = new Option<int>("--rate") { Description = "Target events/s (0: as fast as ingest takes them).", DefaultValueFactory = _ => 0 };
var baseline = new Option<bool>("--baseline") { Description = "Also append the same events with Marten alone, for the ratio.", DefaultValueFactory = _ => true };
var warmup = new Option<int>("--warmup") { Description = "Runs posted and awaited before timing starts (the JIT's warm-up), also for the baseline.", DefaultValueFactory = _ => 0 };
var timeout = new Option<int>("--timeout") { Description = "Seconds to wait for everything to be stored and projected.", DefaultValueFactory = _ => 300 };

var root = new RootCommand("Posts realistic ECS events to ingest and reports POST → stored-and-projected throughput and latency.")
{
    ingest, apiKey, postgres, schema, runs, jobs, batch, concurrency, rate, timeout, baseline, warmup,
};
root.SetAction(async (result, ct) =>
{
    var settings = new LoadSettings(new Uri(result.GetValue(ingest)!), result.GetValue(apiKey)!, result.GetValue(postgres)!, result.GetValue(schema)!,
        result.GetValue(runs), result.GetValue(jobs), result.GetValue(batch), result.GetValue(concurrency), result.GetValue(rate),
        TimeSpan.FromSeconds(result.GetValue(timeout)), result.GetValue(baseline), result.GetValue(warmup));
    return await new LoadRun(settings).ExecuteAsync(ct);
});
var page = new Option<string>("--url") { Description = "The page to time (loopback only).", DefaultValueFactory = _ => "http://127.0.0.1:5080/ui" };
var key = new Option<string>("--key") { Description = "The dashboard's access key.", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("Dashboard__AccessKey") ?? "" };
var requests = new Option<int>("--requests") { DefaultValueFactory = _ => 50 };
var pageCommand = new Command("page", "Times GETs of a dashboard page: median, p95, min.") { page, key, requests };
pageCommand.SetAction((result, ct) => PageTimings.MeasureAsync(new Uri(result.GetValue(page)!), result.GetValue(key)!, result.GetValue(requests), ct));
root.Subcommands.Add(pageCommand);

var slackPort = new Option<int>("--slack-port") { Description = "Where the stand-in Slack webhook listens (loopback).", DefaultValueFactory = _ => 5189 };
var background = new Option<int>("--background-rate") { Description = "Background events/s.", DefaultValueFactory = _ => 500 };
var probes = new Option<int>("--probes") { Description = "Failed runs to time, one per second.", DefaultValueFactory = _ => 60 };
var warmupProbes = new Option<int>("--warmup-probes") { Description = "Probes sent first and not counted (the services' JIT warm-up).", DefaultValueFactory = _ => 30 };
var historySchema = new Option<string?>("--history-schema") { Description = "With --postgres: history's schema, to split each alert's latency into stages." };
var notifierSchema = new Option<string?>("--notifier-schema") { Description = "With --postgres: the notifier's schema." };
var alertsCommand = new Command("alerts", "Times failure alerts, ingest POST → Slack request, under background load.")
{
    ingest, apiKey, slackPort, background, probes, warmupProbes, postgres, historySchema, notifierSchema,
};
alertsCommand.SetAction((result, ct) => new AlertLatency(new AlertSettings(new Uri(result.GetValue(ingest)!), result.GetValue(apiKey)!,
    result.GetValue(slackPort), result.GetValue(background), result.GetValue(probes), TimeSpan.FromSeconds(1), result.GetValue(warmupProbes),
    NullIfEmpty(result.GetValue(postgres)), result.GetValue(historySchema), result.GetValue(notifierSchema))).ExecuteAsync(ct));
root.Subcommands.Add(alertsCommand);
return await root.Parse(args).InvokeAsync();

static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
