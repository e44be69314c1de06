using System.Text.Json.Nodes;
using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;
using System.Net;
using System.Text;
using Microsoft.Extensions.Options;
using Platform.Ingest.Features.NormalizeEcsEvents;
using Platform.Ingest.Tests.Features;
using Platform.EcsSamples;
using Platform.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Platform.Ingest.Tests.Features.PollSqsQueue;

/// <summary>Against a real SQS protocol server: the fauxqs emulator that <c>.ci/run</c> starts (PLATFORM_TEST_SQS_URL).</summary>
public class SqsEventPollerTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly string ServiceUrl = Environment.GetEnvironmentVariable("PLATFORM_TEST_SQS_URL") ?? "http://127.0.0.1:4566";
    private readonly EcsEventFactory ecs = new();
    private AmazonSQSClient sqs = null!;
    private string queueUrl = "";

    public async Task InitializeAsync()
    {
        Environment.SetEnvironmentVariable("AWS_EC2_METADATA_DISABLED", "true");
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", "test");
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", "test");
        sqs = new AmazonSQSClient(new BasicAWSCredentials("test", "test"), new AmazonSQSConfig { ServiceURL = ServiceUrl, AuthenticationRegion = "us-east-1" });
        try
        {
            var created = await sqs.CreateQueueAsync(new CreateQueueRequest
            {
                QueueName = "ingest-" + Guid.NewGuid().ToString("N")[..12],
                Attributes = new Dictionary<string, string> { ["VisibilityTimeout"] = "1" },
            });
            queueUrl = created.QueueUrl;
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"These tests need the SQS emulator at {ServiceUrl} (bash .ci/run starts fauxqs; or set PLATFORM_TEST_SQS_URL). {e.Message}", e);
        }
    }

    private IngestApp PollingIngest(int concurrentReceives = 2) => new(new()
    {
        ["Ingest:Sqs:QueueUrl"] = queueUrl,
        ["Ingest:Sqs:ServiceUrl"] = ServiceUrl,
        ["Ingest:Sqs:Region"] = "us-east-1",
        ["Ingest:Sqs:WaitTimeSeconds"] = "1",
        ["Ingest:Sqs:ConcurrentReceives"] = concurrentReceives.ToString(System.Globalization.CultureInfo.InvariantCulture),
    });

    [Fact]
    public async Task A_backlog_is_gathered_across_full_receives_into_few_sends_and_every_message_is_deleted()
    {
        // 80 events waiting, as after a burst of EventBridge deliveries: 8 full receives of 10.
        var events = Enumerable.Range(0, 10).SelectMany(i => ecs.Run("sqs-burst", DateTimeOffset.UtcNow.AddHours(-1).AddMinutes(i), TimeSpan.FromMinutes(1))).Take(80).ToList();
        foreach (var chunk in events.Chunk(10))
            await sqs.SendMessageBatchAsync(queueUrl, [.. chunk.Select((e, i) => new SendMessageBatchRequestEntry(i.ToString(System.Globalization.CultureInfo.InvariantCulture), e.ToJsonString()))]);

        await using var app = PollingIngest(concurrentReceives: 1);
        _ = app.Server;
        await Eventually.Get(() => Task.FromResult(app.SentBatches().SelectMany(b => b.TaskStateChanges).Select(c => c.EventId).Distinct().Count()),
            count => count == events.Count, what: "every event sent");
        await Eventually.Get(async () =>
        {
            var attributes = await sqs.GetQueueAttributesAsync(queueUrl, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]);
            return attributes.ApproximateNumberOfMessages + attributes.ApproximateNumberOfMessagesNotVisible;
        }, left => left == 0, what: "every message deleted");
        // One message per 100 events at most (the sender's own limit), not one per receive of 10.
        Assert.InRange(app.SentBatches().Count, 1, 2);
    }

    public Task DisposeAsync()
    {
        sqs.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Events_from_the_queue_are_published_and_deleted_and_an_unparseable_message_stays_for_the_DLQ()
    {
        var run = ecs.Run("etl-orders", DateTimeOffset.UtcNow.AddHours(-1), TimeSpan.FromMinutes(5));
        foreach (var e in run)
            await sqs.SendMessageAsync(queueUrl, e.ToJsonString());
        await sqs.SendMessageAsync(queueUrl, "{\"detail-type\": \"ECS Task State Change\", broken");
        await sqs.SendMessageAsync(queueUrl, new JsonObject { ["detail-type"] = "Scheduled Event", ["source"] = "aws.events", ["detail"] = new JsonObject() }.ToJsonString());

        await using (var app = PollingIngest())
        {
            _ = app.Server;
            var published = await Eventually.Get(
                () => Task.FromResult(app.SentBatches().SelectMany(b => b.TaskStateChanges).Select(c => c.EventId).Distinct().Count()),
                count => count == run.Count, what: "all events of the run to be published");
            Assert.Equal(run.Count, published);
            // Let the poller see the broken message a few times (visibility timeout 1 s): it must never delete it.
            await Task.Delay(TimeSpan.FromSeconds(3));
        }

        var left = new List<string>();
        for (var i = 0; i < 4 && left.Count == 0; i++)
        {
            var received = await sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = queueUrl, MaxNumberOfMessages = 10, WaitTimeSeconds = 2 });
            left.AddRange((received.Messages ?? []).Select(m => m.Body));
        }
        Assert.Equal(["{\"detail-type\": \"ECS Task State Change\", broken"], left);
    }

    [Fact]
    public async Task Mutated_messages_are_left_for_the_DLQ_and_valid_ones_alongside_are_all_sent_and_deleted()
    {
        var day = DateTimeOffset.UtcNow.AddHours(-2);
        var seeds = MutatedPayloads.Seeds(ecs, day);
        var parser = new EcsEventParser(Options.Create(new IngestOptions { ApiKey = "unused-but-required-key" }));
        var bodies = new List<string>();
        for (var i = 0; bodies.Count < 1_000; i++)
        {
            var random = new Random(20261122 + i);
            var bytes = MutatedPayloads.Mutate(seeds[random.Next(seeds.Count)], random);
            // SQS carries text (and at most 256 KB): only mutations that are such text can be sent at all.
            if (bytes.Length < 200 * 1024 && System.Text.Unicode.Utf8.IsValid(bytes) && Encoding.UTF8.GetString(bytes) is var text
                && text.All(c => c is '\t' or '\n' or '\r' || (c >= ' ' && c < '\uFFFE')))
                bodies.Add(text);
        }
        var refused = bodies.Count(b => !parser.Parse(Encoding.UTF8.GetBytes(b)).IsValid);
        var valid = Enumerable.Range(0, 20).SelectMany(i => ecs.Run("sqs-valid", day.AddMinutes(i), TimeSpan.FromMinutes(1))).ToList();
        var messages = bodies.Concat(valid.Select(e => e.ToJsonString())).OrderBy(_ => Random.Shared.Next()).ToList();
        foreach (var chunk in messages.Chunk(10))
            await sqs.SendMessageBatchAsync(queueUrl, [.. chunk.Select((body, i) => new SendMessageBatchRequestEntry(i.ToString(System.Globalization.CultureInfo.InvariantCulture), body))]);

        await using (var app = PollingIngest())
        {
            _ = app.Server;
            await Eventually.Get(() => Task.FromResult(app.SentBatches().SelectMany(b => b.TaskStateChanges).Count(c => c.Family == "sqs-valid")),
                count => count >= valid.Count, TimeSpan.FromSeconds(60), "every valid event to be sent");
            Assert.Equal(HttpStatusCode.OK, (await app.CreateClient().GetAsync("/alive")).StatusCode);
        }

        await Task.Delay(TimeSpan.FromSeconds(2)); // the visibility timeout (1 s) of the last received messages
        var attributes = await sqs.GetQueueAttributesAsync(queueUrl, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]);
        var left = attributes.ApproximateNumberOfMessages + attributes.ApproximateNumberOfMessagesNotVisible;
        Assert.True(refused > 300, $"the generator should make mostly refused messages, made {refused} of {bodies.Count}");
        Assert.Equal(refused, left);
        output.WriteLine($"{bodies.Count} mutated messages: {refused} refused and left for the DLQ, {bodies.Count - refused} accepted; {valid.Count} valid events all sent");
    }

    [Fact]
    public async Task A_message_with_text_PostgreSQL_cannot_hold_fails_alone_and_a_NUL_is_kept_visibly()
    {
        var run = ecs.Run("etl-text", DateTimeOffset.UtcNow.AddHours(-1), TimeSpan.FromMinutes(5), RunEnding.ExitCode);
        // An unpaired surrogate escape in a top-level field: not text at all. SQS carries it as the six characters.
        var unpaired = run[0].ToJsonString().Replace("\"source\":\"aws.ecs\"", "\"source\":\"aws.ecs\\ud800\"", StringComparison.Ordinal);
        var withNul = (JsonObject)run[^1].DeepClone();
        withNul["detail"]!["stoppedReason"] = "Essential container exited\u0000 with garbage";
        var bodies = new[] { unpaired }.Concat(run.Skip(1).SkipLast(1).Select(e => e.ToJsonString())).Append(withNul.ToJsonString()).ToList();
        await sqs.SendMessageBatchAsync(queueUrl, [.. bodies.Select((b, i) => new SendMessageBatchRequestEntry(i.ToString(System.Globalization.CultureInfo.InvariantCulture), b))]);

        await using (var app = PollingIngest())
        {
            _ = app.Server;
            var sent = await Eventually.Get(() => Task.FromResult(app.SentBatches().SelectMany(b => b.TaskStateChanges).DistinctBy(c => c.EventId).ToList()),
                changes => changes.Count >= run.Count - 1, what: "every other message's event");
            Assert.Equal(run.Count - 1, sent.Count);
            Assert.Equal("Essential container exited\uFFFD with garbage", sent.Single(c => c.LastStatus == "STOPPED").StoppedReason);
            // Received again after each visibility timeout (1 s) until its redrive policy moves it: reported once.
            await Task.Delay(TimeSpan.FromSeconds(3));
            var report = Assert.Single(app.Harness.Published.Select<Platform.Contracts.Bus.MessageDeadLettered>()).Context.Message;
            Assert.Contains("$.source", report.Reason);
            Assert.Equal(1, report.Items);
            var health = await app.CreateClient().GetStringAsync("/health");
            Assert.Contains("\"Degraded\"", health);
        }
        await Task.Delay(TimeSpan.FromSeconds(2));
        var attributes = await sqs.GetQueueAttributesAsync(queueUrl, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]);
        Assert.Equal(1, attributes.ApproximateNumberOfMessages + attributes.ApproximateNumberOfMessagesNotVisible);
    }
}
