using System.Net;
using Polly;

namespace Platform.ServiceDefaults.Aws;

/// <summary>What is worth retrying against ECS and CloudTrail: 5xx, 429, network failures, and JSON 1.1's throttling errors (HTTP 400).</summary>
public static class AwsTransientErrors
{
    public static async ValueTask<bool> IsTransientAsync(Outcome<HttpResponseMessage> outcome)
    {
        if (outcome.Exception is not null)
            return outcome.Exception is HttpRequestException or TimeoutException or Polly.Timeout.TimeoutRejectedException;
        var response = outcome.Result!;
        if ((int)response.StatusCode >= 500 || response.StatusCode == HttpStatusCode.TooManyRequests)
            return true;
        if (response.StatusCode != HttpStatusCode.BadRequest)
            return false;
        await response.Content.LoadIntoBufferAsync();
        var body = await response.Content.ReadAsStringAsync();
        return body.Contains("ThrottlingException", StringComparison.Ordinal) || body.Contains("ServerException", StringComparison.Ordinal);
    }
}
