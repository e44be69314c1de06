using System.Diagnostics;
using System.Net;

namespace Platform.LoadTest;

/// <summary>Times GETs of one page (the whole response, as a browser would wait for it): median, p95, min, and its size.</summary>
public static class PageTimings
{
    public static async Task<int> MeasureAsync(Uri url, string key, int requests, CancellationToken ct)
    {
        if (!IPAddress.IsLoopback((await Dns.GetHostAddressesAsync(url.Host, ct))[0]))
        {
            Console.Error.WriteLine("Refusing to measure anything but loopback.");
            return 2;
        }
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Add("X-Api-Key", key);
        var times = new List<double>();
        var bytes = 0;
        var rows = 0;
        for (var i = 0; i < requests + 3; i++)
        {
            var clock = Stopwatch.StartNew();
            using var response = await http.GetAsync(url, ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            clock.Stop();
            if (!response.IsSuccessStatusCode)
            {
                Console.Error.WriteLine($"{url} answered {(int)response.StatusCode}");
                return 1;
            }
            // The first few warm the caches and the JIT, as a page left open would be.
            if (i >= 3)
                times.Add(clock.Elapsed.TotalMilliseconds);
            bytes = body.Length;
            rows = CountOf(body, "<tr data-job=");
        }
        times.Sort();
        Console.WriteLine($"GET {url}: {rows:N0} job rows, {bytes / 1024.0:N0} KB; over {requests} requests: median {times[times.Count / 2]:N0} ms, " +
            $"p95 {times[(int)(times.Count * 0.95)]:N0} ms, min {times[0]:N0} ms");
        return 0;
    }

    private static int CountOf(string text, string value)
    {
        var count = 0;
        for (var at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + value.Length, StringComparison.Ordinal))
            count++;
        return count;
    }
}
