using System.Text.Json;
using Platform.Ingest.Features.NormalizeEcsEvents;
using Xunit;

namespace Platform.Ingest.Tests.Features.NormalizeEcsEvents;

/// <summary>SQS and SNS take 256 KiB per message: ingest splits a request's events by size as well as by count, and drops none.</summary>
public class MessageSizeTests
{
    [Fact]
    public void Events_are_split_by_bytes_and_by_count_in_order_and_none_is_lost()
    {
        // Stopped reasons of every length, non-ASCII included (escaped, they take up to 6 bytes a character).
        var events = Enumerable.Range(0, 700).Select(i => new { Id = i, Reason = new string(i % 7 == 0 ? 'é' : 'x', i * 13 % 4_000) }).ToList();

        var chunks = EcsEventsSender.Chunk(events, maxCount: 100, maxBytes: 64 * 1024).ToList();

        Assert.Equal(events, chunks.SelectMany(c => c));
        Assert.All(chunks, c => Assert.InRange(c.Length, 1, 100));
        Assert.All(chunks, c => Assert.True(JsonSerializer.SerializeToUtf8Bytes(c).Length <= 64 * 1024 + 2, $"{JsonSerializer.SerializeToUtf8Bytes(c).Length} bytes"));
        Assert.True(chunks.Count > 7, "the byte limit, not the count, must have split these");
    }

    [Fact]
    public void An_event_larger_than_the_limit_goes_alone_rather_than_being_dropped()
    {
        var events = new[] { "small", new string('x', 100_000), "small too" };

        var chunks = EcsEventsSender.Chunk(events, maxCount: 100, maxBytes: 16 * 1024).ToList();

        Assert.Equal([["small"], [events[1]], ["small too"]], chunks);
    }
}
