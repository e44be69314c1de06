using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Npgsql;
using Platform.EcsSamples;

namespace Platform.LoadTest;

public sealed record LoadSettings(Uri Ingest, string ApiKey, string Postgres, string Schema, int Runs, int Jobs, int Batch,
    int Concurrency, int Rate, TimeSpan Timeout, bool Baseline, int WarmupRuns = 0);

/// <summary>
/// Generates traffic as EventBridge delivers it (≈8 state changes per run, ≈5 % failures, some launch failures,
/// ≈2 % duplicates, disorder within a window), posts it, then reads history's event store to time each event from
/// its POST to its commit, and waits for the job summaries (the async projection) to account for every run.
/// </summary>
public sealed class LoadRun(LoadSettings settings)
{
    private readonly string prefix = "load-" + Guid.NewGuid().ToString("N")[..6];

    public async Task<int> ExecuteAsync(CancellationToken ct)
    {
        if (!IPAddress.IsLoopback((await Dns.GetHostAddressesAsync(settings.Ingest.Host, ct))[0]))
        {
            Console.Error.WriteLine("Refusing to send load anywhere but loopback.");
            return 2;
        }
        if (settings.WarmupRuns > 0)
        {
            // A service's first minute is mostly the JIT (tiering up Marten, MassTransit and Npgsql): measured alone it
            // would time start-up, not the sustained rate. The warm-up traffic is stored and projected first, untimed.
            var (warmup, warmupFinished) = Generate("warm-" + prefix[5..], settings.WarmupRuns);
            Console.WriteLine($"warm-up: {warmup.Count:N0} events of {settings.WarmupRuns:N0} runs, not timed");
            await using var warmDb = NpgsqlDataSource.Create(settings.Postgres);
            var warmStart = Stopwatch.StartNew();
            await PostAllAsync(warmup, [], warmStart, ct);
            await WaitAsync(() => CountSummarizedRunsAsync(warmDb, "warm-" + prefix[5..], ct), n => n >= warmupFinished, "warm-up runs", ct);
            if (settings.Baseline)
                await MartenBaseline.MeasureAsync(warmup, settings.Postgres, settings.Schema + "_warm", ct);
        }

        var (events, finishedRuns) = Generate(prefix, settings.Runs);
        var unique = events.Select(e => e["id"]!.GetValue<string>()).Distinct().Count();
        Console.WriteLine($"{prefix}: {settings.Runs:N0} runs of {settings.Jobs} jobs, {events.Count:N0} events ({unique:N0} unique), batches of {settings.Batch}, {settings.Concurrency} in flight");

        await using var db = NpgsqlDataSource.Create(settings.Postgres);
        var firstSequence = await LastSequenceAsync(db, ct);
        var sentAt = new Dictionary<string, long>();
        var cpuBefore = CpuTime.Available ? CpuTime.Sample() : null;
        var clock = Stopwatch.StartNew();
        var wallStart = DateTimeOffset.UtcNow;
        await PostAllAsync(events, sentAt, clock, ct);
        var posted = clock.Elapsed;
        Console.WriteLine($"posted in {posted.TotalSeconds:F1} s ({events.Count / posted.TotalSeconds:N0} events/s accepted)"
            + (IngestClient.Refusals > 0 ? $", {IngestClient.Refusals} request(s) answered 503 and retried" : ""));

        // Only the summaries are polled while the pipeline runs; when each event was stored is read once at the end
        // from the store's own timestamps, so that measuring does not load the database it measures.
        var projected = await WaitAsync(() => CountSummarizedRunsAsync(db, prefix, ct), n => n >= finishedRuns, "summarized runs", ct);
        var projectedAll = clock.Elapsed;
        var cpu = cpuBefore is null ? null : CpuTime.Sample().Since(cpuBefore);

        // A run can be summarized before a late, out-of-order event of it is stored.
        await WaitAsync(() => CountStoredAsync(db, firstSequence, ct), n => n >= unique, "stored events", ct);
        var (latencies, lastStoredMs) = await StoreLatenciesAsync(db, firstSequence, sentAt, wallStart, ct);
        latencies.Sort();
        Console.WriteLine($"stored {latencies.Count:N0} unique events in {lastStoredMs / 1000:F1} s: {unique / (lastStoredMs / 1000):N0} events/s POST → stored");
        Console.WriteLine($"job summaries covered {projected:N0}/{finishedRuns:N0} finished runs at {projectedAll.TotalSeconds:F1} s: {unique / projectedAll.TotalSeconds:N0} events/s POST → stored-and-projected");
        Console.WriteLine($"POST → stored latency: p50 {Percentile.Of(latencies, 0.50):N0} ms, p99 {Percentile.Of(latencies, 0.99):N0} ms, max {latencies[^1]:N0} ms");
        if (cpu is not null)
            Console.WriteLine($"CPU, POST → stored-and-projected: {cpu.Describe(unique)}");
        if (settings.Baseline)
        {
            var (raw, rawCpu) = await MartenBaseline.MeasureAsync(events, settings.Postgres, settings.Schema + "_raw", ct);
            Console.WriteLine($"baseline, the same {unique:N0} events appended with Marten alone (sessions of 1,000, one writer): {raw:N0} events/s; " +
                $"the pipeline reached {unique / projectedAll.TotalSeconds / raw:P0} of it");
            if (cpu is not null && rawCpu is not null)
            {
                Console.WriteLine($"CPU, baseline: {rawCpu.Describe(unique)}");
                DescribeCeiling(cpu, rawCpu, unique, raw);
            }
        }
        return 0;
    }

    /// <summary>
    /// What the CPU figures allow: the pipeline's rate with every core busy at its CPU per event, and the same with
    /// PostgreSQL doing no more per event than for the bare appends.
    /// </summary>
    private static void DescribeCeiling(CpuUsage pipeline, CpuUsage raw, int events, double rawRate)
    {
        var cores = Environment.ProcessorCount;
        var perEvent = pipeline.Total / events;
        var rest = (pipeline.Total - pipeline.Of("postgres")) / events;
        var atRawPostgres = cores / (rest + raw.Of("postgres") / events);
        Console.WriteLine($"CPU ceiling: PostgreSQL works {pipeline.Of("postgres") / raw.Of("postgres"):F2}× the baseline's per event; " +
            $"with all {cores} cores busy the pipeline could reach {cores / perEvent:N0} events/s ({cores / perEvent / rawRate:P0} of the baseline), " +
            $"and {atRawPostgres:N0} ({atRawPostgres / rawRate:P0}) if PostgreSQL did no more than the bare appends");
    }

    private (List<JsonObject> Events, int FinishedRuns) Generate(string prefix, int runs)
    {
        var ecs = new EcsEventFactory(cluster: prefix);
        var random = new Random(42);
        var start = DateTimeOffset.UtcNow.AddDays(-1);
        var events = new List<JsonObject>();
        var finished = 0;
        for (var i = 0; i < runs; i++)
        {
            var job = $"{prefix}-job-{i % settings.Jobs:D4}";
            var at = start.AddSeconds(i * 30);
            var roll = random.NextDouble();
            if (roll < 0.01)
                events.Add(ecs.LaunchFailure(job, at, "AGENT"));
            else
                events.AddRange(ecs.Run(job, at, TimeSpan.FromMinutes(random.Next(1, 40)), roll < 0.06 ? RunEnding.ExitCode : RunEnding.Success));
            finished++;
        }
        // At-least-once delivery: about 2 % again; disorder: shuffled within windows of 50.
        var duplicates = events.Where(_ => random.NextDouble() < 0.02).Select(e => (JsonObject)e.DeepClone()).ToList();
        events.AddRange(duplicates);
        var shuffled = events.Chunk(50).SelectMany(w => w.OrderBy(_ => random.Next())).ToList();
        return (shuffled, finished);
    }

    private async Task PostAllAsync(List<JsonObject> events, Dictionary<string, long> sentAt, Stopwatch clock, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = settings.Ingest, Timeout = TimeSpan.FromMinutes(2) };
        http.DefaultRequestHeaders.Add("X-Api-Key", settings.ApiKey);
        var batches = events.Chunk(settings.Batch).ToList();
        using var gate = new SemaphoreSlim(settings.Concurrency);
        var tasks = new List<Task>();
        var sent = 0;
        foreach (var batch in batches)
        {
            await gate.WaitAsync(ct);
            if (settings.Rate > 0)
            {
                var due = TimeSpan.FromSeconds((double)sent / settings.Rate);
                if (due > clock.Elapsed)
                    await Task.Delay(due - clock.Elapsed, ct);
            }
            var body = new JsonArray([.. batch]).ToJsonString();
            var now = clock.ElapsedMilliseconds;
            foreach (var e in batch)
                sentAt.TryAdd(e["id"]!.GetValue<string>(), now);
            sent += batch.Length;
            tasks.Add(Task.Run(async () =>
            {
                try
                {
                    await IngestClient.PostAsync(http, body, ct);
                }
                finally
                {
                    gate.Release();
                }
            }, ct));
        }
        await Task.WhenAll(tasks);
    }

    private async Task<long> CountStoredAsync(NpgsqlDataSource db, long after, CancellationToken ct)
    {
        await using var command = db.CreateCommand(
            $"select count(*) from {settings.Schema}.mt_events where seq_id > @after and type in ('task_state_recorded', 'launch_failure_recorded')");
        command.Parameters.AddWithValue("after", after);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    private async Task<long> LastSequenceAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var command = db.CreateCommand($"select coalesce(max(seq_id), 0) from {settings.Schema}.mt_events");
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    private async Task<long> CountSummarizedRunsAsync(NpgsqlDataSource db, string prefix, CancellationToken ct)
    {
        await using var command = db.CreateCommand(
            $"select coalesce(sum((data->>'successCount')::int + (data->>'failureCount')::int + (data->>'launchFailureCount')::int), 0) from {settings.Schema}.mt_doc_jobsummary where id like @prefix");
        command.Parameters.AddWithValue("prefix", prefix + "-%");
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    private async Task<(List<double> Latencies, double LastStoredMs)> StoreLatenciesAsync(NpgsqlDataSource db, long after, Dictionary<string, long> sentAt, DateTimeOffset wallStart, CancellationToken ct)
    {
        await using var command = db.CreateCommand(
            $"select coalesce(data->'change'->>'eventId', data->'failure'->>'eventId'), timestamp from {settings.Schema}.mt_events where seq_id > @after and type in ('task_state_recorded', 'launch_failure_recorded')");
        command.Parameters.AddWithValue("after", after);
        var latencies = new List<double>();
        var last = 0.0;
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var storedMs = (reader.GetFieldValue<DateTimeOffset>(1) - wallStart).TotalMilliseconds;
            last = Math.Max(last, storedMs);
            if (sentAt.TryGetValue(reader.GetString(0), out var sent))
                latencies.Add(Math.Max(0, storedMs - sent));
        }
        return (latencies, last);
    }

    private async Task<long> WaitAsync(Func<Task<long>> probe, Func<long, bool> done, string what, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        long value;
        while (!done(value = await probe()))
        {
            if (deadline.Elapsed > settings.Timeout)
                throw new TimeoutException($"gave up waiting for {what}: {value:N0} after {settings.Timeout.TotalSeconds} s");
            await Task.Delay(250, ct);
        }
        return value;
    }
}
