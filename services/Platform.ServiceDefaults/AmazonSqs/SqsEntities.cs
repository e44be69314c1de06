using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.SQS;
using Amazon.SQS.Model;

namespace Platform.ServiceDefaults.AmazonSqs;

/// <summary>A queue as SQS knows it.</summary>
public sealed record SqsQueue(string Name, string Url, string Arn);

/// <summary>
/// Creates what the bus needs, idempotently and once per process (every service declares what it consumes and
/// publishes, so a message published before its consumer first ran waits in the consumer's queue): topics, queues
/// with their <c>_error</c> queue and a redrive policy to their <c>_dlq</c>, the queue policy that lets the queue's
/// topics (and only them) deliver to it, and the raw-delivery subscriptions.
/// </summary>
public sealed class SqsEntities(IAmazonSQS sqs, SnsClient sns, AmazonSqsOptions options, SqsRequestCounter counter)
{
    private const string PolicyStatementId = "platform-bus-topics";
    private readonly ConcurrentDictionary<string, Lazy<Task<SqsQueue>>> queues = new();
    private readonly ConcurrentDictionary<string, Lazy<Task<string>>> topics = new();
    private readonly ConcurrentDictionary<string, SemaphoreSlim> policyLocks = new();
    private readonly ConcurrentDictionary<(string Topic, string Queue), bool> subscribed = new();

    /// <summary>A queue, created when missing.</summary>
    public Task<SqsQueue> QueueAsync(string name, CancellationToken ct) => Once(queues, name, () => CreateQueueAsync(name, ct));

    /// <summary>A queue that a receive endpoint consumes: with its error queue, and redriven to its dead-letter queue.</summary>
    public Task<SqsQueue> ReceiveQueueAsync(string name, CancellationToken ct) => Once(queues, "receive:" + name, async () =>
    {
        var deadLetter = await QueueAsync(SqsEntityNames.DeadLetter(name), ct);
        await QueueAsync(SqsEntityNames.Error(name), ct);
        var queue = await QueueAsync(name, ct);
        var redrive = new JsonObject { ["deadLetterTargetArn"] = deadLetter.Arn, ["maxReceiveCount"] = options.MaxReceiveCount }.ToJsonString();
        var current = await AttributesAsync(queue, ct);
        var wanted = new Dictionary<string, string>
        {
            [QueueAttributeName.RedrivePolicy] = redrive,
            [QueueAttributeName.VisibilityTimeout] = options.VisibilityTimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        var changed = wanted.Where(w => !SameValue(w.Key, current.GetValueOrDefault(w.Key), w.Value)).ToDictionary();
        if (changed.Count > 0)
        {
            counter.Count("sqs", "SetQueueAttributes");
            await sqs.SetQueueAttributesAsync(new SetQueueAttributesRequest { QueueUrl = queue.Url, Attributes = changed }, ct);
        }
        return queue;
    });

    /// <summary>A topic, created when missing; its ARN.</summary>
    public Task<string> TopicAsync(string name, CancellationToken ct) => Once(topics, name, () => sns.CreateTopicAsync(name, ct));

    /// <summary>
    /// Lets each topic deliver to the queue (the queue policy keeps the topics already allowed: another version of a
    /// service may still publish to them), then subscribes the queue to each, with raw delivery.
    /// </summary>
    public async Task SubscribeAsync(SqsQueue queue, IReadOnlyCollection<string> topicNames, CancellationToken ct)
    {
        var missing = topicNames.Where(t => !subscribed.ContainsKey((t, queue.Name))).Distinct().ToList();
        if (missing.Count == 0)
            return;
        var arns = new List<string>();
        foreach (var topic in missing)
            arns.Add(await TopicAsync(topic, ct));

        var gate = policyLocks.GetOrAdd(queue.Name, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            var current = await AttributesAsync(queue, ct);
            var (policy, changed) = MergePolicy(current.GetValueOrDefault(QueueAttributeName.Policy), queue.Arn, arns);
            if (changed)
            {
                counter.Count("sqs", "SetQueueAttributes");
                await sqs.SetQueueAttributesAsync(new SetQueueAttributesRequest
                {
                    QueueUrl = queue.Url,
                    Attributes = new Dictionary<string, string> { [QueueAttributeName.Policy] = policy },
                }, ct);
            }
        }
        finally
        {
            gate.Release();
        }
        for (var i = 0; i < missing.Count; i++)
        {
            await sns.SubscribeQueueAsync(arns[i], queue.Arn, ct);
            subscribed[(missing[i], queue.Name)] = true;
        }
    }

    /// <summary>
    /// The queue policy with one statement that lets SNS send to the queue from exactly the listed topics (the union of
    /// those already allowed and <paramref name="topicArns"/>); other statements stay as they are.
    /// </summary>
    public static (string Policy, bool Changed) MergePolicy(string? existing, string queueArn, IEnumerable<string> topicArns)
    {
        var document = existing is { Length: > 0 } ? JsonNode.Parse(existing)!.AsObject() : new JsonObject { ["Version"] = "2012-10-17" };
        var statements = document["Statement"] as JsonArray ?? [];
        document["Statement"] = statements;
        var ours = statements.OfType<JsonObject>().FirstOrDefault(s => s["Sid"]?.GetValue<string>() == PolicyStatementId);
        var allowed = ours?["Condition"]?["ArnEquals"]?["aws:SourceArn"] switch
        {
            JsonArray list => list.Select(a => a!.GetValue<string>()).ToHashSet(StringComparer.Ordinal),
            JsonValue one => [one.GetValue<string>()],
            _ => new HashSet<string>(StringComparer.Ordinal),
        };
        var before = allowed.Count;
        allowed.UnionWith(topicArns);
        if (ours is not null && allowed.Count == before)
            return (document.ToJsonString(), false);
        if (ours is not null)
            statements.Remove(ours);
        statements.Add(new JsonObject
        {
            ["Sid"] = PolicyStatementId,
            ["Effect"] = "Allow",
            ["Principal"] = new JsonObject { ["Service"] = "sns.amazonaws.com" },
            ["Action"] = "sqs:SendMessage",
            ["Resource"] = queueArn,
            ["Condition"] = new JsonObject
            {
                ["ArnEquals"] = new JsonObject { ["aws:SourceArn"] = new JsonArray([.. allowed.Order(StringComparer.Ordinal).Select(a => (JsonNode)a)]) },
            },
        });
        return (document.ToJsonString(), true);
    }

    private async Task<SqsQueue> CreateQueueAsync(string name, CancellationToken ct)
    {
        // Created without attributes, so that it is idempotent whatever another version set on it since.
        counter.Count("sqs", "CreateQueue");
        var created = await sqs.CreateQueueAsync(new CreateQueueRequest { QueueName = name }, ct);
        counter.Count("sqs", "GetQueueAttributes");
        var attributes = await sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest
        {
            QueueUrl = created.QueueUrl,
            AttributeNames = [QueueAttributeName.QueueArn],
        }, ct);
        return new SqsQueue(name, created.QueueUrl, attributes.Attributes[QueueAttributeName.QueueArn]);
    }

    private async Task<Dictionary<string, string>> AttributesAsync(SqsQueue queue, CancellationToken ct)
    {
        counter.Count("sqs", "GetQueueAttributes");
        var answer = await sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest { QueueUrl = queue.Url, AttributeNames = ["All"] }, ct);
        return answer.Attributes ?? [];
    }

    private static bool SameValue(string key, string? current, string wanted)
    {
        if (current is null)
            return false;
        if (key != QueueAttributeName.RedrivePolicy)
            return current == wanted;
        // SQS may answer the redrive policy with its count as a number or a string.
        using var a = JsonDocument.Parse(current);
        using var b = JsonDocument.Parse(wanted);
        return a.RootElement.GetProperty("deadLetterTargetArn").GetString() == b.RootElement.GetProperty("deadLetterTargetArn").GetString()
            && a.RootElement.GetProperty("maxReceiveCount").ToString() == b.RootElement.GetProperty("maxReceiveCount").ToString();
    }

    /// <summary>Runs <paramref name="create"/> once per key; a failure is forgotten, so the next caller tries again.</summary>
    internal static async Task<T> Once<T>(ConcurrentDictionary<string, Lazy<Task<T>>> cache, string key, Func<Task<T>> create)
    {
        var lazy = cache.GetOrAdd(key, _ => new Lazy<Task<T>>(create));
        try
        {
            return await lazy.Value;
        }
        catch
        {
            cache.TryRemove(new KeyValuePair<string, Lazy<Task<T>>>(key, lazy));
            throw;
        }
    }
}
