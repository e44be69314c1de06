using System.Text.Json.Nodes;
using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;
using Platform.EcsSamples;
using Platform.Testing;
using Xunit;

namespace Platform.Ingest.Tests.Features.PollSqsQueue;

/// <summary>Against a real SQS protocol server: the fauxqs emulator that <c>.ci/run</c> starts (PLATFORM_TEST_SQS_URL).</summary>
public class SqsEventPollerTests : IAsyncLifetime
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

        await using (var app = new IngestApp(new()
                     {
                         ["Ingest:Sqs:QueueUrl"] = queueUrl,
                         ["Ingest:Sqs:ServiceUrl"] = ServiceUrl,
                         ["Ingest:Sqs:Region"] = "us-east-1",
                         ["Ingest:Sqs:WaitTimeSeconds"] = "1",
                     }))
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
}
