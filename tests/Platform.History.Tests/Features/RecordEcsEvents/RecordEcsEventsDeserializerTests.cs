using System.Text.Json;
using MassTransit;
using MassTransit.Serialization;
using Platform.Contracts.History;
using Platform.Contracts.Ingest;
using Platform.History.Features.RecordEcsEvents;
using Xunit;

namespace Platform.History.Tests.Features.RecordEcsEvents;

public class RecordEcsEventsDeserializerTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 23, 4, 0, 0, TimeSpan.Zero);

    private static byte[] Envelope(object message, Guid messageId) =>
        JsonSerializer.SerializeToUtf8Bytes(new JsonMessageEnvelope
        {
            MessageId = messageId.ToString(),
            ConversationId = Guid.NewGuid().ToString(),
            SourceAddress = "rabbitmq://127.0.0.1/ingest",
            MessageType = [MessageUrn.ForTypeString(message.GetType())],
            Message = message,
            SentTime = At.UtcDateTime,
            Headers = new Dictionary<string, object?> { ["Platform-Test"] = "kept" },
        }, SystemTextJsonMessageSerializer.Options);

    [Fact]
    public void Reads_what_MassTransit_wrote_with_its_envelope()
    {
        var change = new TaskStateChanged("e1", At, "123456789012", "eu-west-1", "arn:aws:ecs:eu-west-1:123456789012:cluster/batch",
            "arn:aws:ecs:eu-west-1:123456789012:task/batch/t1", "arn:aws:ecs:eu-west-1:123456789012:task-definition/report:3", "report", 3,
            "family:report", "events-rule/report", "FARGATE", null, "STOPPED", "STOPPED", "EssentialContainerExited", "Essential container in task exited",
            [new ContainerState("app", "STOPPED", 137, "OutOfMemoryError: Container killed due to memory usage", "app:1")],
            At.AddMinutes(-5), At.AddMinutes(-4), At.AddSeconds(-2), At, 6, JsonDocument.Parse("""{"containerOverrides":[{"name":"app"}]}""").RootElement);
        var sent = new Contracts.Ingest.RecordEcsEvents([change], [], []);
        var messageId = Guid.NewGuid();

        var context = new RecordEcsEventsDeserializer().Deserialize(new BytesMessageBody(Envelope(sent, messageId)), EmptyHeaders.Instance);

        Assert.True(context.TryGetMessage<Contracts.Ingest.RecordEcsEvents>(out var read));
        Assert.Equal(JsonSerializer.Serialize(sent), JsonSerializer.Serialize(read));
        Assert.Equal(messageId, context.MessageId);
        Assert.Equal(At.UtcDateTime, context.SentTime);
        Assert.Equal("kept", context.Headers.Get<string>("Platform-Test"));
        // Read once, into objects: MassTransit's deserializer would build a new message from its JsonElement copy each time.
        Assert.True(context.TryGetMessage<Contracts.Ingest.RecordEcsEvents>(out var again));
        Assert.Same(read, again);
    }

    [Fact]
    public void Leaves_a_message_of_another_type_to_MassTransit()
    {
        var other = new RunStarted("t2", "nightly", "batch", "arn:aws:ecs:eu-west-1:123456789012:task/batch/t2", "eu-west-1", At, "events-rule/nightly");

        var context = new RecordEcsEventsDeserializer().Deserialize(new BytesMessageBody(Envelope(other, Guid.NewGuid())), EmptyHeaders.Instance);

        Assert.True(context.TryGetMessage<RunStarted>(out var read));
        Assert.Equal(other, read);
    }

    [Fact]
    public void A_body_that_is_not_JSON_fails_as_MassTransit_fails_it()
    {
        Assert.Throws<System.Runtime.Serialization.SerializationException>(() =>
            new RecordEcsEventsDeserializer().Deserialize(new StringMessageBody("{\"message\": [not json"), EmptyHeaders.Instance));
    }
}
