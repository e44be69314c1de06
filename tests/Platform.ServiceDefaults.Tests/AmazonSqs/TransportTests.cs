using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Amazon.SQS.Model;
using MassTransit;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.AmazonSqs;
using Platform.Testing;
using Xunit;

namespace Platform.ServiceDefaults.Tests.AmazonSqs;

/// <summary>
/// The bus's own Amazon SQS/SNS transport against the emulator: fan-out, send, retries, the error queue, delayed
/// redelivery, the size limit, and a topology declared twice. fauxqs does not enforce queue policies, so the policy is
/// read back and asserted as AWS would apply it.
/// </summary>
public class TransportTests : IAsyncLifetime
{
    private static readonly ConcurrentDictionary<string, ConcurrentBag<(Guid Id, DateTimeOffset At, int Redeliveries)>> Seen = new();
    private readonly string run = Guid.NewGuid().ToString("N")[..6];
    private SqsBus? bus;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (bus is not null)
            await bus.DisposeAsync();
    }

    private static ConcurrentBag<(Guid Id, DateTimeOffset At, int Redeliveries)> SeenBy(string key) => Seen.GetOrAdd(key, _ => []);

    [Fact]
    public async Task A_published_message_reaches_each_subscribed_queue_once()
    {
        bus = await SqsBus.StartAsync(x =>
        {
            x.AddConsumer<RecordingConsumer>().Endpoint(e => e.Name = "fan-a");
            x.AddConsumer<OtherRecordingConsumer>().Endpoint(e => e.Name = "fan-b");
        });
        var ids = Enumerable.Range(0, 25).Select(_ => Guid.NewGuid()).ToList();
        await Task.WhenAll(ids.Select(id => bus.Bus.Publish(new Pinged(id, run))));

        foreach (var consumer in new[] { nameof(RecordingConsumer), nameof(OtherRecordingConsumer) })
            await Eventually.Get(() => Task.FromResult(Mine(consumer)), seen => seen.Count >= ids.Count, what: $"{consumer} got every message");
        await WaitDrainedAsync(bus.Prefix + "fan-a");
        await WaitDrainedAsync(bus.Prefix + "fan-b");
        Assert.Equal(ids.Order(), Mine(nameof(RecordingConsumer)).Order());
        Assert.Equal(ids.Order(), Mine(nameof(OtherRecordingConsumer)).Order());
        // 25 publishes from many threads at once: batched, not one request each.
        Assert.True(bus.Requests.Snapshot().GetValueOrDefault("sns:PublishBatch") < ids.Count,
            $"publishes were not batched: {bus.Requests.Snapshot().GetValueOrDefault("sns:PublishBatch")} requests for {ids.Count}");
    }

    [Fact]
    public async Task A_message_published_before_its_consumer_first_ran_waits_in_the_consumer_s_queue()
    {
        var prefix = "t" + Guid.NewGuid().ToString("N")[..8] + "-";
        var id = Guid.NewGuid();
        // The publisher knows who subscribes (as every service knows PlatformTopology) and declares it before publishing.
        await using var publisher = await SqsBus.StartAsync(_ => { }, prefix, subscriptions: [(typeof(Pinged), "late")]);
        await publisher.Bus.Publish(new Pinged(id, run));

        bus = await SqsBus.StartAsync(x => x.AddConsumer<RecordingConsumer>().Endpoint(e => e.Name = "late"), prefix);

        await Eventually.Get(() => Task.FromResult(Mine(nameof(RecordingConsumer))), seen => seen.Contains(id), what: "the message published before");
        await WaitDrainedAsync(prefix + "late");
        Assert.Single(Mine(nameof(RecordingConsumer)), s => s == id);
    }

    [Fact]
    public async Task A_message_sent_to_a_queue_is_consumed_once()
    {
        bus = await SqsBus.StartAsync(x => x.AddConsumer<SentConsumer>().Endpoint(e => e.Name = "direct"));
        var endpoint = await bus.Bus.GetSendEndpoint(new Uri("queue:direct"));
        var id = Guid.NewGuid();
        await endpoint.Send(new PingSent(id));

        await Eventually.Get(() => Task.FromResult(SeenBy(nameof(SentConsumer)).Where(s => s.Id == id).ToList()), s => s.Count == 1, what: "the sent message");
        await WaitDrainedAsync(bus.Prefix + "direct");
        Assert.Single(SeenBy(nameof(SentConsumer)), s => s.Id == id);
    }

    [Fact]
    public async Task A_consumer_that_throws_twice_gets_the_message_again_and_nothing_reaches_the_error_queue()
    {
        bus = await SqsBus.StartAsync(x => x.AddConsumer<FlakyConsumer>().Endpoint(e => e.Name = "flaky"),
            settings: new() { ["Bus:RetryIntervals:1"] = "00:00:00.050", ["Bus:RetryIntervals:2"] = "00:00:00.050" });
        var id = Guid.NewGuid();
        await bus.Bus.Publish(new Pinged(id, "flaky"));

        await Eventually.Get(() => Task.FromResult(SeenBy(nameof(FlakyConsumer)).Where(s => s.Id == id).ToList()), s => s.Count == 1, what: "the third attempt");
        await WaitDrainedAsync(bus.Prefix + "flaky");
        Assert.Equal(3, FlakyConsumer.Attempts[id]);
        Assert.Empty(await SqsBus.PeekAsync(bus.Prefix + "flaky_error"));
    }

    [Fact]
    public async Task A_message_that_keeps_failing_lands_in_the_error_queue_with_MassTransit_s_fault_headers_and_is_counted()
    {
        bus = await SqsBus.StartAsync(x => x.AddConsumer<FailingConsumer>().Endpoint(e => e.Name = "failing"));
        var id = Guid.NewGuid();
        await bus.Bus.Publish(new Pinged(id, "fail"));

        var errors = await Eventually.Get(() => SqsBus.PeekAsync(bus.Prefix + "failing_error"), m => m.Count == 1, what: "the message in failing_error");
        var envelope = JsonNode.Parse(errors[0].Body)!;
        Assert.Equal(id.ToString(), envelope["message"]!["id"]!.GetValue<string>());
        var headers = envelope["headers"]!;
        Assert.Equal("System.InvalidOperationException", headers["MT-Fault-ExceptionType"]!.GetValue<string>());
        Assert.Equal("refused on purpose", headers["MT-Fault-Message"]!.GetValue<string>());
        Assert.Equal("fault", headers["MT-Reason"]!.GetValue<string>());
        Assert.True(errors[0].MessageAttributes.Count <= 10);
        await WaitDrainedAsync(bus.Prefix + "failing");
        var deadLetters = bus.Services.GetRequiredService<DeadLetters>();
        var health = await Eventually.Get(() => deadLetters.CheckHealthAsync(new()), h => h.Status == HealthStatus.Degraded, what: "the dead letter counted");
        Assert.Contains("failing: 1 (InvalidOperationException: refused on purpose)", health.Description);
    }

    [Fact]
    public async Task Delayed_redelivery_sends_the_message_back_to_its_queue_with_an_SQS_delay()
    {
        bus = await SqsBus.StartAsync(x => x.AddConsumer<FailsUntilRedeliveredConsumer>(c => c.UseDelayedRedelivery(r => r.Intervals(TimeSpan.FromSeconds(3))))
            .Endpoint(e => e.Name = "delayed"));
        var id = Guid.NewGuid();
        var sent = DateTimeOffset.UtcNow;
        await bus.Bus.Publish(new Pinged(id, "delay"));

        var seen = await Eventually.Get(() => Task.FromResult(SeenBy(nameof(FailsUntilRedeliveredConsumer)).Where(s => s.Id == id).ToList()),
            s => s.Count == 1, what: "the redelivered message consumed");
        Assert.Equal(1, seen[0].Redeliveries);
        Assert.True(seen[0].At - sent >= TimeSpan.FromSeconds(3), $"redelivered after {(seen[0].At - sent).TotalSeconds:F1} s, before its 3 s delay");
        await WaitDrainedAsync(bus.Prefix + "delayed");
        Assert.Empty(await SqsBus.PeekAsync(bus.Prefix + "delayed_error"));
    }

    [Fact]
    public async Task A_consumer_working_longer_than_the_visibility_timeout_keeps_its_message_hidden_and_gets_it_once()
    {
        bus = await SqsBus.StartAsync(x => x.AddConsumer<SlowConsumer>().Endpoint(e => e.Name = "slow"),
            settings: new() { ["Bus:AmazonSqs:VisibilityTimeoutSeconds"] = "10" });
        var id = Guid.NewGuid();
        await bus.Bus.Publish(new Pinged(id, "slow"));

        // 16 s of work against a 10 s visibility timeout: without the extension the message would come back at 10 s.
        await Eventually.Get(() => Task.FromResult(SeenBy(nameof(SlowConsumer)).Where(s => s.Id == id).ToList()), s => s.Count == 1,
            TimeSpan.FromSeconds(60), "the slow consumer done");
        await WaitDrainedAsync(bus.Prefix + "slow");
        Assert.Equal(1, SlowConsumer.Started[id]);
        Assert.True(bus.Requests.Snapshot().GetValueOrDefault("sqs:ChangeMessageVisibility") >= 1, "the visibility was never extended");
    }

    [Fact]
    public async Task A_message_over_256_KB_is_refused_with_a_clear_error_before_anything_is_sent()
    {
        bus = await SqsBus.StartAsync(x => x.AddConsumer<RecordingConsumer>().Endpoint(e => e.Name = "large"));
        var before = bus.Requests.Snapshot();

        var refused = await Assert.ThrowsAsync<SqsMessageTooLargeException>(() => bus.Bus.Publish(new Pinged(Guid.NewGuid(), new string('x', 270_000))));

        Assert.Contains("at most 262,144", refused.Message);
        var after = bus.Requests.Snapshot();
        Assert.Equal(before.GetValueOrDefault("sns:PublishBatch"), after.GetValueOrDefault("sns:PublishBatch"));
    }

    [Fact]
    public async Task Declaring_the_topology_twice_changes_nothing_and_the_queue_policy_admits_exactly_its_topic()
    {
        var prefix = "t" + Guid.NewGuid().ToString("N")[..8] + "-";
        await using (await SqsBus.StartAsync(x => x.AddConsumer<RecordingConsumer>().Endpoint(e => e.Name = "twice"), prefix))
        {
        }
        bus = await SqsBus.StartAsync(x => x.AddConsumer<RecordingConsumer>().Endpoint(e => e.Name = "twice"), prefix);
        var queue = prefix + "twice";
        await Eventually.Get(() => Task.FromResult(bus.Requests.Snapshot()), r => r.GetValueOrDefault("sqs:ReceiveMessage") >= 1, what: "the endpoint receiving");

        // Nothing to change on the second start: every attribute, policy and subscription was already as wanted.
        Assert.Equal(0, bus.Requests.Snapshot().GetValueOrDefault("sqs:SetQueueAttributes"));
        using var sqs = SqsBus.Client();
        var url = (await sqs.GetQueueUrlAsync(queue)).QueueUrl;
        var attributes = (await sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest { QueueUrl = url, AttributeNames = ["All"] })).Attributes;
        var policy = JsonNode.Parse(attributes["Policy"])!;
        var statement = Assert.Single(policy["Statement"]!.AsArray())!;
        Assert.Equal("Allow", statement["Effect"]!.GetValue<string>());
        Assert.Equal("sns.amazonaws.com", statement["Principal"]!["Service"]!.GetValue<string>());
        Assert.Equal("sqs:SendMessage", statement["Action"]!.GetValue<string>());
        Assert.Equal(attributes["QueueArn"], statement["Resource"]!.GetValue<string>());
        var topic = Assert.Single(statement["Condition"]!["ArnEquals"]!["aws:SourceArn"]!.AsArray())!.GetValue<string>();
        Assert.EndsWith(":" + prefix + "Platform_ServiceDefaults_Tests_AmazonSqs-Pinged", topic);
        var redrive = JsonNode.Parse(attributes["RedrivePolicy"])!;
        Assert.EndsWith(":" + queue + "_dlq", redrive["deadLetterTargetArn"]!.GetValue<string>());
    }

    [Fact]
    public void Names_follow_MassTransit_s_Amazon_SQS_transport()
    {
        var names = new SqsEntityNames("platform-");
        Assert.Equal("platform-Platform_Contracts_History-RunFailed", names.Topic(typeof(Platform.Contracts.History.RunFailed)));
        Assert.Equal("platform-MassTransit-Fault--Platform_ServiceDefaults_Tests_AmazonSqs-Pinged--", names.Topic(typeof(Fault<Pinged>)));
        Assert.Equal("platform-history-ecs-events", names.Queue("history-ecs-events"));
        Assert.Throws<ArgumentException>(() => names.Queue(new string('q', 80)));
        Assert.Equal(new SqsDestination("history-ecs-events", false), SqsAddress.Parse(PlatformTopology.HistoryEcsEventsAddress));
    }

    private List<Guid> Mine(string consumer) => [.. SeenBy(consumer).Select(s => s.Id).Where(id => Texts.TryGetValue(id, out var text) && text == run)];

    private static readonly ConcurrentDictionary<Guid, string> Texts = new();

    /// <summary>Waits until the queue holds nothing, visible or in flight: every received message was handled and deleted.</summary>
    private static Task WaitDrainedAsync(string queueName) => Eventually.Get(async () =>
    {
        using var sqs = SqsBus.Client();
        var url = (await sqs.GetQueueUrlAsync(queueName)).QueueUrl;
        var attributes = (await sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest
        {
            QueueUrl = url, AttributeNames = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"],
        })).Attributes;
        return attributes.Values.Sum(int.Parse);
    }, n => n == 0, what: $"{queueName} drained");

    public sealed class RecordingConsumer : IConsumer<Pinged>
    {
        public Task Consume(ConsumeContext<Pinged> context)
        {
            Texts[context.Message.Id] = context.Message.Text;
            SeenBy(nameof(RecordingConsumer)).Add((context.Message.Id, DateTimeOffset.UtcNow, context.GetRedeliveryCount()));
            return Task.CompletedTask;
        }
    }

    public sealed class OtherRecordingConsumer : IConsumer<Pinged>
    {
        public Task Consume(ConsumeContext<Pinged> context)
        {
            Texts[context.Message.Id] = context.Message.Text;
            SeenBy(nameof(OtherRecordingConsumer)).Add((context.Message.Id, DateTimeOffset.UtcNow, context.GetRedeliveryCount()));
            return Task.CompletedTask;
        }
    }

    public sealed class SentConsumer : IConsumer<PingSent>
    {
        public Task Consume(ConsumeContext<PingSent> context)
        {
            SeenBy(nameof(SentConsumer)).Add((context.Message.Id, DateTimeOffset.UtcNow, 0));
            return Task.CompletedTask;
        }
    }

    public sealed class FlakyConsumer : IConsumer<Pinged>
    {
        public static readonly ConcurrentDictionary<Guid, int> Attempts = new();

        public Task Consume(ConsumeContext<Pinged> context)
        {
            if (Attempts.AddOrUpdate(context.Message.Id, 1, (_, n) => n + 1) < 3)
                throw new InvalidOperationException("not yet");
            SeenBy(nameof(FlakyConsumer)).Add((context.Message.Id, DateTimeOffset.UtcNow, 0));
            return Task.CompletedTask;
        }
    }

    public sealed class SlowConsumer : IConsumer<Pinged>
    {
        public static readonly ConcurrentDictionary<Guid, int> Started = new();

        public async Task Consume(ConsumeContext<Pinged> context)
        {
            Started.AddOrUpdate(context.Message.Id, 1, (_, n) => n + 1);
            await Task.Delay(TimeSpan.FromSeconds(16));
            SeenBy(nameof(SlowConsumer)).Add((context.Message.Id, DateTimeOffset.UtcNow, context.GetRedeliveryCount()));
        }
    }

    public sealed class FailingConsumer : IConsumer<Pinged>
    {
        public Task Consume(ConsumeContext<Pinged> context) => throw new InvalidOperationException("refused on purpose");
    }

    public sealed class FailsUntilRedeliveredConsumer : IConsumer<Pinged>
    {
        public Task Consume(ConsumeContext<Pinged> context)
        {
            if (context.GetRedeliveryCount() == 0)
                throw new InvalidOperationException("first delivery refused");
            SeenBy(nameof(FailsUntilRedeliveredConsumer)).Add((context.Message.Id, DateTimeOffset.UtcNow, context.GetRedeliveryCount()));
            return Task.CompletedTask;
        }
    }
}
