using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;
using Platform.EcsSamples;
using Platform.Testing;
using Xunit;

namespace Platform.EndToEnd.Tests;

/// <summary>
/// The AllInOne host on its in-memory bus (the small AWS variant) acknowledges only what history stored: killed with
/// SIGKILL while events stream in over HTTP and from SQS (the fauxqs emulator), it loses none it acknowledged (a 202,
/// an SQS delete), and stores none twice.
/// </summary>
[Collection(EndToEndCollection.Name)]
public class AcceptedMeansStoredTests(PostgresFixture postgres) : IAsyncLifetime
{
    private const string ApiKey = "e2e-ingest-key-0123456789";
    private static readonly string SqsUrl = System.Environment.GetEnvironmentVariable("PLATFORM_TEST_SQS_URL") ?? "http://127.0.0.1:4566";
    private readonly string schema = PostgresFixture.NewSchema();
    private readonly string prefix = "aio-" + Guid.NewGuid().ToString("N")[..6];
    private readonly AmazonSQSClient sqs = new(new BasicAWSCredentials("test", "test"), new AmazonSQSConfig { ServiceURL = SqsUrl, AuthenticationRegion = "us-east-1" });

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        sqs.Dispose();
        await postgres.DropAllInOneSchemasAsync(schema);
    }

    [Fact]
    public async Task Every_event_acknowledged_over_HTTP_or_SQS_is_stored_once_after_a_SIGKILL()
    {
        var queue = (await sqs.CreateQueueAsync(new CreateQueueRequest
        {
            QueueName = prefix, Attributes = new Dictionary<string, string> { ["VisibilityTimeout"] = "2" },
        })).QueueUrl;
        var ecs = new EcsEventFactory();
        var start = DateTimeOffset.UtcNow.AddHours(-2);
        // 60 runs of 8 events each through SQS, one event per message, as an EventBridge rule's SQS target sends them.
        var sqsRuns = Enumerable.Range(0, 60).Select(i => ecs.Run($"{prefix}-sqs", start.AddMinutes(i), TimeSpan.FromMinutes(1), taskId: $"{prefix}sqs{i:D4}")).ToList();
        foreach (var chunk in sqsRuns.SelectMany(r => r).OrderBy(_ => Random.Shared.Next()).Chunk(10))
            await sqs.SendMessageBatchAsync(queue, [.. chunk.Select((e, i) => new SendMessageBatchRequestEntry(i.ToString(System.Globalization.CultureInfo.InvariantCulture), e.ToJsonString()))]);

        var port = LoopbackPort.Free();
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Postgres"] = postgres.ConnectionString,
            ["Bus__Transport"] = "InMemory",
            ["Ingest__ApiKey"] = ApiKey,
            ["History__Schema"] = schema, ["Notifier__Schema"] = schema + "_n", ["Retry__Schema"] = schema + "_r", ["Digest__Schema"] = schema + "_d",
            ["Aws__Region"] = "eu-west-1", ["Aws__ServiceUrl"] = "http://127.0.0.1:9/",
            ["Digest__HistoryUrl"] = $"http://127.0.0.1:{port}/",
            ["Ingest__Sqs__QueueUrl"] = queue, ["Ingest__Sqs__ServiceUrl"] = SqsUrl, ["Ingest__Sqs__Region"] = "us-east-1", ["Ingest__Sqs__WaitTimeSeconds"] = "1",
            ["AWS_ACCESS_KEY_ID"] = "test", ["AWS_SECRET_ACCESS_KEY"] = "test",
            ["Serilog__MinimumLevel__Override__Platform.Ingest"] = "Debug", ["Serilog__MinimumLevel__Override__Platform.History.Features.RecordEcsEvents"] = "Debug",
        };
        var acknowledged = new ConcurrentBag<string>();
        var firstOutput = "";
        var host = await ServiceProcess.StartAsync("Platform.AllInOne", environment, port);
        await using (host) // killed mid-stream below; this only makes sure a failed wait leaves no process behind
        using (var client = new HttpClient { BaseAddress = host.BaseAddress })
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
            using var stop = new CancellationTokenSource();
            // Streams runs over HTTP until the host dies; a run counts as acknowledged only with its 202.
            var streaming = Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    var run = ecs.Run($"{prefix}-http", start.AddMinutes(i), TimeSpan.FromMinutes(1), taskId: $"{prefix}http{i:D4}");
                    try
                    {
                        var response = await client.PostAsync("/events", new StringContent(new JsonArray([.. run]).ToJsonString(), Encoding.UTF8, "application/json"));
                        if (response.StatusCode == HttpStatusCode.Accepted)
                            acknowledged.Add(ecs.TaskArn($"{prefix}http{i:D4}"));
                    }
                    catch (HttpRequestException)
                    {
                        return; // the host is gone
                    }
                }
            });
            // Killed mid-flow on both sides: some runs acknowledged over HTTP, part of the SQS queue consumed.
            await Eventually.Get(() => Task.FromResult(acknowledged.Count), n => n >= 10, TimeSpan.FromSeconds(60), "10 acknowledged runs");
            try
            {
                await Eventually.Get(async () => (await sqs.GetQueueAttributesAsync(queue, ["ApproximateNumberOfMessages"])).ApproximateNumberOfMessages,
                    visible => visible < sqsRuns.Count * 8 / 2, TimeSpan.FromSeconds(60), "half the SQS queue received");
            }
            catch (TimeoutException e)
            {
                throw WithOutput(e, host.Output);
            }
            await host.DisposeAsync(); // SIGKILL, mid-stream
            firstOutput = host.Output;
            await streaming.WaitAsync(TimeSpan.FromSeconds(30));
        }

        host = await ServiceProcess.StartAsync("Platform.AllInOne", environment, port);
        await using (host)
        {
            var api = host.Client();
            // The queue drains (undeleted messages come back after their visibility timeout) and every run is counted.
            await Eventually.Get(async () => (await sqs.GetQueueAttributesAsync(queue, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])) is var a
                    && a.ApproximateNumberOfMessages + a.ApproximateNumberOfMessagesNotVisible == 0,
                empty => empty, TimeSpan.FromSeconds(90), "the SQS queue to drain");
            HashSet<string> sqsStored;
            try
            {
                sqsStored = await Eventually.Get(() => Succeeded(api, $"{prefix}-sqs"), s => s.Count == sqsRuns.Count, TimeSpan.FromSeconds(60), "every SQS run");
            }
            catch (TimeoutException e)
            {
                throw WithOutput(e, firstOutput + "\n----- restarted -----\n" + host.Output);
            }
            var httpStored = await Succeeded(api, $"{prefix}-http");

            Assert.Equal(sqsRuns.Count, sqsStored.Count);
            Assert.Empty(acknowledged.Except(httpStored));
            // Exactly once: each job's summary counts as many successes as there are distinct runs.
            var jobs = (await api.GetFromJsonAsync<JsonArray>("/jobs"))!.ToDictionary(j => j!["name"]!.GetValue<string>());
            Assert.Equal(sqsStored.Count, jobs[$"{prefix}-sqs"]!["successCount"]!.GetValue<int>());
            Assert.Equal(httpStored.Count, jobs[$"{prefix}-http"]!["successCount"]!.GetValue<int>());
        }
        await sqs.DeleteQueueAsync(queue);
    }

    /// <summary>The host's log (its end) with the failure: what it deleted and stored says where events went.</summary>
    private static TimeoutException WithOutput(TimeoutException e, string output) =>
        new($"{e.Message}\nAllInOne output (end):\n{(output.Length > 6000 ? output[^6000..] : output)}", e);

    private static async Task<HashSet<string>> Succeeded(HttpClient api, string job)
    {
        var response = await api.GetAsync($"/jobs/{job}/runs?limit=1000");
        if (response.StatusCode == HttpStatusCode.NotFound)
            return [];
        var runs = (await response.Content.ReadFromJsonAsync<JsonArray>())!;
        var arns = runs.Where(r => r!["status"]!.GetValue<string>() == "succeeded").Select(r => r!["taskArn"]!.GetValue<string>()).ToList();
        Assert.Equal(arns.Count, arns.Distinct().Count());
        return [.. arns];
    }
}
