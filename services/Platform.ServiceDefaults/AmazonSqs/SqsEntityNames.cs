using System.Collections.Concurrent;
using System.Text;
using System.Text.RegularExpressions;
using MassTransit;

namespace Platform.ServiceDefaults.AmazonSqs;

/// <summary>
/// Queue and topic names, as MassTransit's Amazon SQS transport forms them, behind the installation's prefix: a
/// message type's topic is its namespace with '_' for '.', a '-', then its name (<c>Platform_Contracts_History-RunFailed</c>);
/// a queue is its endpoint's name; an endpoint's faulted messages go to <c>&lt;queue&gt;_error</c>, skipped ones to
/// <c>&lt;queue&gt;_skipped</c>, and those SQS gave up on (too many receives) to <c>&lt;queue&gt;_dlq</c>.
/// </summary>
public sealed partial class SqsEntityNames(string prefix) : IEntityNameFormatter
{
    private readonly ConcurrentDictionary<Type, string> topics = new();

    public string Prefix { get; } = prefix;

    /// <summary>MassTransit's entity name of a message type (without the prefix): what its publish address names.</summary>
    public string FormatEntityName<T>() => MessageName(typeof(T));

    public string MessageName(Type messageType) => topics.GetOrAdd(messageType, type => MessageName(new StringBuilder(), type, scope: null));

    /// <summary>The SNS topic of an entity name.</summary>
    public string Topic(string entityName)
    {
        var name = Prefix + entityName;
        if (name.Length > 256 || !EntityName().IsMatch(name))
            throw new ArgumentException($"'{name}' cannot be an SNS topic name: at most 256 letters, digits, '-' or '_'.");
        return name;
    }

    public string Topic(Type messageType) => Topic(MessageName(messageType));

    public string Queue(string endpointName)
    {
        var name = Prefix + endpointName;
        // The longest derived name (_skipped) must fit SQS's 80 characters as well.
        if (name.Length + "_skipped".Length > 80 || !EntityName().IsMatch(name))
            throw new ArgumentException($"'{name}' cannot be an SQS queue name: at most {80 - "_skipped".Length} letters, digits, '-' or '_'.");
        return name;
    }

    public static string Error(string queue) => queue + "_error";

    public static string Skipped(string queue) => queue + "_skipped";

    public static string DeadLetter(string queue) => queue + "_dlq";

    private static string MessageName(StringBuilder name, Type type, string? scope)
    {
        var ns = type.Namespace?.Replace('.', '_');
        if (ns is not null && ns != scope)
            name.Append(ns).Append('-');
        if (type is { IsNested: true, DeclaringType: { } declaring })
        {
            MessageName(name, declaring, ns);
            name.Append('_');
        }
        if (!type.IsGenericType)
            return name.Append(type.Name).ToString();
        var generic = type.GetGenericTypeDefinition().Name;
        name.Append(generic[..generic.IndexOf('`')]).Append("--");
        var arguments = type.GetGenericArguments();
        for (var i = 0; i < arguments.Length; i++)
        {
            if (i > 0)
                name.Append("__");
            MessageName(name, arguments[i], ns);
        }
        return name.Append("--").ToString();
    }

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex EntityName();
}
