namespace Platform.Notifier.Features.DeliverToSlack;

/// <summary>Wakes the dispatcher when a delivery was stored, so an alert does not wait for the next poll.</summary>
public sealed class DeliverySignal
{
    private readonly SemaphoreSlim signal = new(0, 1);

    public void Notify()
    {
        if (signal.CurrentCount == 0)
        {
            try { signal.Release(); }
            catch (SemaphoreFullException) { }
        }
    }

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct) => signal.WaitAsync(timeout, ct);
}
