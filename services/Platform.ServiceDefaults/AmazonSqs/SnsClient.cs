using System.Net;
using System.Xml.Linq;

namespace Platform.ServiceDefaults.AmazonSqs;

/// <summary>
/// The four SNS actions the transport needs, over SNS's Query protocol (a form POST, an XML answer), since no SNS SDK
/// package is available: CreateTopic and Subscribe (both idempotent on AWS: the same name or endpoint gives the same
/// ARN), Publish and PublishBatch. Signing (SigV4, service <c>sns</c>) and retries of transient failures are the
/// HttpClient's handlers.
/// </summary>
public sealed class SnsClient(HttpClient http, SqsRequestCounter counter)
{
    private static readonly XNamespace Sns = "http://sns.amazonaws.com/doc/2010-03-31/";

    public async Task<string> CreateTopicAsync(string name, CancellationToken ct)
    {
        var answer = await CallAsync("CreateTopic", [new("Name", name)], ct);
        return Value(answer, "TopicArn");
    }

    /// <summary>
    /// Subscribes a queue with raw message delivery: the queue receives the published body itself (MassTransit's
    /// envelope), not SNS's notification JSON around it, and the message attributes as SQS message attributes.
    /// </summary>
    public async Task<string> SubscribeQueueAsync(string topicArn, string queueArn, CancellationToken ct)
    {
        var answer = await CallAsync("Subscribe",
        [
            new("TopicArn", topicArn), new("Protocol", "sqs"), new("Endpoint", queueArn), new("ReturnSubscriptionArn", "true"),
            new("Attributes.entry.1.key", "RawMessageDelivery"), new("Attributes.entry.1.value", "true"),
        ], ct);
        return Value(answer, "SubscriptionArn");
    }

    /// <summary>
    /// Publishes up to 10 messages; returns, per entry, null when SNS took it, else why it did not (SNS answers 200
    /// for a batch in which some entries failed).
    /// </summary>
    public async Task<IReadOnlyList<string?>> PublishBatchAsync(string topicArn, IReadOnlyList<SqsOutgoingMessage> messages, CancellationToken ct)
    {
        if (messages.Count is 0 or > 10)
            throw new ArgumentOutOfRangeException(nameof(messages), "PublishBatch takes 1 to 10 entries.");
        var form = new List<KeyValuePair<string, string>> { new("TopicArn", topicArn) };
        for (var i = 0; i < messages.Count; i++)
        {
            var entry = $"PublishBatchRequestEntries.member.{i + 1}";
            form.Add(new($"{entry}.Id", i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            form.Add(new($"{entry}.Message", messages[i].Body));
            var n = 0;
            foreach (var (key, value) in messages[i].Attributes)
            {
                n++;
                form.Add(new($"{entry}.MessageAttributes.entry.{n}.Name", key));
                form.Add(new($"{entry}.MessageAttributes.entry.{n}.Value.DataType", "String"));
                form.Add(new($"{entry}.MessageAttributes.entry.{n}.Value.StringValue", value));
            }
        }
        var answer = await CallAsync("PublishBatch", form, ct);
        var results = new string?[messages.Count];
        foreach (var failed in answer.Descendants(Sns + "Failed").Elements(Sns + "member"))
        {
            var id = int.Parse(failed.Element(Sns + "Id")!.Value, System.Globalization.CultureInfo.InvariantCulture);
            results[id] = $"{failed.Element(Sns + "Code")?.Value}: {failed.Element(Sns + "Message")?.Value}";
        }
        return results;
    }

    private async Task<XElement> CallAsync(string action, List<KeyValuePair<string, string>> parameters, CancellationToken ct)
    {
        parameters.Insert(0, new("Action", action));
        parameters.Insert(1, new("Version", "2010-03-31"));
        counter.Count("sns", action);
        using var response = await http.PostAsync("/", new FormUrlEncodedContent(parameters), ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        XElement document;
        try
        {
            document = XElement.Parse(text);
        }
        catch (System.Xml.XmlException)
        {
            throw new SnsException(action, response.StatusCode, "Unreadable", $"not XML: {Truncate(text)}");
        }
        if (response.IsSuccessStatusCode)
            return document;
        var error = document.Descendants().FirstOrDefault(e => e.Name.LocalName == "Error");
        throw new SnsException(action, response.StatusCode,
            error?.Elements().FirstOrDefault(e => e.Name.LocalName == "Code")?.Value ?? "Unknown",
            error?.Elements().FirstOrDefault(e => e.Name.LocalName == "Message")?.Value ?? Truncate(text));
    }

    private static string Value(XElement answer, string name) =>
        answer.Descendants().FirstOrDefault(e => e.Name.LocalName == name)?.Value
        ?? throw new SnsException("", HttpStatusCode.OK, "Unreadable", $"no {name} in the answer");

    private static string Truncate(string text) => text.Length > 300 ? text[..300] + "…" : text;
}

/// <summary>An SNS action refused or failed: the action, SNS's error code and message.</summary>
public sealed class SnsException(string action, HttpStatusCode status, string code, string message)
    : Exception($"SNS {action} failed ({(int)status} {code}): {message}")
{
    public string Code { get; } = code;

    public HttpStatusCode Status { get; } = status;
}
