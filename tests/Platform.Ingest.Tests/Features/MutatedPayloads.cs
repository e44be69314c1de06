using System.Text;
using System.Text.Json.Nodes;
using Platform.EcsSamples;

namespace Platform.Ingest.Tests.Features;

/// <summary>Malformed and mutated event payloads from a seeded generator built on the real event shapes (fuzzing ingest).</summary>
public static class MutatedPayloads
{
    public static List<JsonNode> Seeds(EcsEventFactory ecs, DateTimeOffset day)
    {
        var request = ecs.RunTaskRequest("fuzz-job", day);
        return
        [
            .. ecs.Run("fuzz-job", day, TimeSpan.FromMinutes(2), RunEnding.ExitCode, exitCode: 3),
            ecs.LaunchFailure("fuzz-job", day, "AGENT"),
            ecs.LaunchSucceeded(request, day, ecs.TaskArn("fuzz1")),
            new JsonArray(ecs.Run("fuzz-job", day, TimeSpan.FromMinutes(1)).Take(3).Select(e => (JsonNode)e.DeepClone()).ToArray()),
        ];
    }

    /// <summary>One of: a type swapped, a field removed, a huge string, deep nesting, invalid UTF-8, truncation, random bytes, or a wrong shape.</summary>
    public static byte[] Mutate(JsonNode seed, Random random)
    {
        var node = seed.DeepClone();
        switch (random.Next(8))
        {
            case 0:
                Replace(node, random, Other(random));
                break;
            case 1:
                Remove(node, random);
                break;
            case 2:
                Replace(node, random, JsonValue.Create(new string('x', random.Next(2) == 0 ? 300 * 1024 : 5_000)));
                break;
            case 3:
                JsonNode nested = node;
                for (var i = 0; i < random.Next(50, 200); i++)
                    nested = new JsonArray(nested);
                node = nested;
                break;
            case 4:
                var text = Encoding.UTF8.GetBytes(node.ToJsonString());
                var at = random.Next(text.Length);
                return [.. text[..at], 0xC3, 0x28, .. text[at..]];
            case 5:
                var json = Encoding.UTF8.GetBytes(node.ToJsonString());
                return json[..random.Next(json.Length)];
            case 6:
                var bytes = new byte[random.Next(1, 512)];
                random.NextBytes(bytes);
                return bytes;
            default:
                node = Other(random);
                break;
        }
        return Encoding.UTF8.GetBytes(node.ToJsonString());
    }

    private static JsonNode Other(Random random) => random.Next(7) switch
    {
        0 => JsonValue.Create(random.Next())!,
        1 => JsonValue.Create("text")!,
        2 => JsonValue.Create(true)!,
        3 => new JsonObject { ["unexpected"] = new JsonArray(1, 2) },
        4 => new JsonArray(),
        5 => JsonValue.Create(-1.5e300)!,
        _ => new JsonObject(),
    };

    private static List<(JsonNode Parent, object Key)> Slots(JsonNode node)
    {
        var slots = new List<(JsonNode, object)>();
        void Walk(JsonNode n)
        {
            if (n is JsonObject o)
                foreach (var (key, child) in o.ToList())
                {
                    slots.Add((o, key));
                    if (child is not null)
                        Walk(child);
                }
            else if (n is JsonArray a)
                for (var i = 0; i < a.Count; i++)
                {
                    slots.Add((a, i));
                    if (a[i] is { } child)
                        Walk(child);
                }
        }
        Walk(node);
        return slots;
    }

    private static void Replace(JsonNode root, Random random, JsonNode? value)
    {
        var slots = Slots(root);
        if (slots.Count == 0)
            return;
        var (parent, key) = slots[random.Next(slots.Count)];
        if (parent is JsonObject o)
            o[(string)key] = value;
        else
            ((JsonArray)parent)[(int)key] = value;
    }

    private static void Remove(JsonNode root, Random random)
    {
        var slots = Slots(root).Where(s => s.Parent is JsonObject).ToList();
        if (slots.Count == 0)
            return;
        var (parent, key) = slots[random.Next(slots.Count)];
        ((JsonObject)parent).Remove((string)key);
    }

}
