using System.Net.Http.Headers;
using Amazon;
using Amazon.Runtime.Credentials;
using Amazon.Runtime.Signing;

namespace Platform.ServiceDefaults.Aws;

/// <summary>
/// Signs every attempt with SigV4 for one AWS service (its signing name, e.g. <c>ecs</c>, <c>cloudtrail</c>), after any
/// retry handler, so a retried request carries a fresh signature. The body goes as <paramref name="contentType"/>:
/// JSON 1.1 for ECS and CloudTrail, a form for SNS's Query protocol. Credentials come from the default chain:
/// environment, profile, ECS task role.
/// </summary>
public sealed class SigV4SigningHandler(string service, string region, DefaultAWSCredentialsIdentityResolver credentials,
    string contentType = SigV4SigningHandler.AmzJson) : DelegatingHandler
{
    public const string AmzJson = "application/x-amz-json-1.1";
    public const string AmzJson10 = "application/x-amz-json-1.0";
    public const string Form = "application/x-www-form-urlencoded; charset=utf-8";
    private readonly MediaTypeHeaderValue mediaType = MediaTypeHeaderValue.Parse(contentType);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = mediaType;
        request.Content = content;
        // A retried request still carries the previous attempt's signature headers.
        request.Headers.Remove("Authorization");
        foreach (var name in request.Headers.Select(h => h.Key).Where(IsSignatureHeader).ToList())
            request.Headers.Remove(name);

        var signing = new AWSSigningRequest { HttpMethod = request.Method, RequestUri = request.RequestUri!, Content = body };
        signing.Headers["host"] = request.RequestUri!.Authority;
        signing.Headers["content-type"] = mediaType.ToString();
        foreach (var header in request.Headers.Where(h => h.Key.StartsWith("X-Amz-", StringComparison.OrdinalIgnoreCase)))
            signing.Headers[header.Key.ToLowerInvariant()] = string.Join(",", header.Value);

        // The credential providers of the default chain that this service uses need no client settings.
        var identity = await credentials.ResolveIdentityAsync(null!, cancellationToken);
        var signed = await AWSSigV4Signer.SignAsync(signing, new AWSSigV4Parameters
        {
            Credentials = identity,
            Region = RegionEndpoint.GetBySystemName(region),
            Service = service,
            SignPayload = true,
        }, cancellationToken);
        foreach (var (name, value) in signed.Headers)
        {
            if (name.Equals("host", StringComparison.OrdinalIgnoreCase) || name.Equals("content-type", StringComparison.OrdinalIgnoreCase))
                continue;
            request.Headers.TryAddWithoutValidation(name, value);
        }
        return await base.SendAsync(request, cancellationToken);
    }

    private static bool IsSignatureHeader(string name) =>
        name.StartsWith("X-Amz-", StringComparison.OrdinalIgnoreCase) && !name.Equals("X-Amz-Target", StringComparison.OrdinalIgnoreCase);
}
