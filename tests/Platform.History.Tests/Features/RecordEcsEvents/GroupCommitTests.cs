using Platform.History.Features.RecordEcsEvents;
using Platform.Testing;
using Xunit;

namespace Platform.History.Tests.Features.RecordEcsEvents;

public class GroupCommitTests
{
    private readonly List<int[]> writes = [];
    private readonly TaskCompletionSource firstWriteMayEnd = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task Write(IReadOnlyList<int> items, CancellationToken ct)
    {
        lock (writes)
            writes.Add([.. items]);
        if (writes.Count == 1)
            await firstWriteMayEnd.Task.WaitAsync(ct);
        if (items.Contains(13))
            throw new InvalidOperationException("13 cannot be written");
    }

    [Fact]
    public async Task An_item_for_an_idle_writer_is_written_at_once_and_those_arriving_meanwhile_together_next()
    {
        var commit = new GroupCommit<int>(Write, maxItems: 4);
        var first = commit.WriteAsync(1, CancellationToken.None);
        await Eventually.Get(() => Task.FromResult(writes.Count), count => count == 1, what: "the first write");
        var waiting = Enumerable.Range(2, 6).Select(i => commit.WriteAsync(i, CancellationToken.None)).ToList();
        await Task.Delay(100);
        Assert.False(waiting.Any(w => w.IsCompleted), "nothing may be acknowledged before the write that holds it ended");

        firstWriteMayEnd.SetResult();
        await Task.WhenAll([first, .. waiting]);

        Assert.Equal([[1], [2, 3, 4, 5], [6, 7]], writes);
    }

    [Fact]
    public async Task A_failed_write_is_tried_again_item_by_item_and_fails_only_the_bad_item()
    {
        firstWriteMayEnd.SetResult();
        var commit = new GroupCommit<int>(async (items, ct) =>
        {
            await Task.Delay(50, ct);
            await Write(items, ct);
        }, maxItems: 10);
        var first = commit.WriteAsync(1, CancellationToken.None);
        var others = new[] { 12, 13, 14 }.Select(i => commit.WriteAsync(i, CancellationToken.None)).ToList();

        await first;
        await others[0];
        var failed = await Assert.ThrowsAsync<InvalidOperationException>(() => others[1]);
        Assert.Contains("13", failed.Message);
        await others[2];
        Assert.Equal([[1], [12, 13, 14], [12], [13], [14]], writes);
    }
}
