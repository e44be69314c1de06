using System.Net;
using System.Text;

namespace Platform.LoadTest;

/// <summary>Posts events to ingest as EventBridge does: a 503 (history behind, on the in-memory bus) is retried after its Retry-After.</summary>
public static class IngestClient
{
    private static int refusals;

    /// <summary>503 answers retried so far in this process.</summary>
    public static int Refusals => Volatile.Read(ref refusals);

    public static async Task PostAsync(HttpClient http, string body, CancellationToken ct)
    {
        while (true)
        {
            using var response = await http.PostAsync("/events", new StringContent(body, Encoding.UTF8, "application/json"), ct);
            if (response.StatusCode == HttpStatusCode.Accepted)
                return;
            if (response.StatusCode != HttpStatusCode.ServiceUnavailable)
                throw new InvalidOperationException($"ingest answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
            Interlocked.Increment(ref refusals);
            await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1), ct);
        }
    }
}
