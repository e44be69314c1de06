using System.Text.Json;
using Amazon.Runtime.Credentials;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Refit;

namespace Platform.ServiceDefaults.Aws;

public static class AwsExtensions
{
    /// <summary>
    /// Binds <c>Aws:Region</c> and <c>Aws:ServiceUrl</c>, falling back on the older keys given in <paramref name="aliases"/>
    /// (e.g. <c>Retry:Ecs</c>), and, when the service calls AWS, requires a region at start.
    /// </summary>
    public static OptionsBuilder<AwsOptions> AddAwsOptions(this IServiceCollection services, bool regionRequired, params string[] aliases) =>
        services.AddPlatformOptions<AwsOptions>()
            .PostConfigure<IConfiguration>((o, config) =>
            {
                // An empty setting (Aws__Region= in a compose file) is no setting.
                o.Region = string.IsNullOrWhiteSpace(o.Region) ? null : o.Region;
                foreach (var alias in aliases)
                {
                    o.Region ??= config[$"{alias}:Region"] is { Length: > 0 } region ? region : null;
                    o.ServiceUrl ??= config[$"{alias}:ServiceUrl"] is { Length: > 0 } url ? new Uri(url) : null;
                }
            })
            .Validate(o => !regionRequired || o.Region is not null,
                "Aws:Region is required (set Aws__Region, e.g. eu-west-1): the service calls AWS APIs in that region.");

    /// <summary>
    /// A typed client of one AWS JSON API (1.1, or 1.0 as Step Functions speaks with <paramref name="contentType"/>) (<paramref name="service"/>: its signing name and endpoint prefix, e.g.
    /// <c>ecs</c>). Retries wrap the signing handler, so every attempt is signed anew; RunTask requests carry a
    /// clientToken, which makes a retried POST idempotent. <paramref name="retries"/>: how often a transient failure is
    /// retried, with exponential backoff from 200 ms.
    /// </summary>
    public static IHttpClientBuilder AddAwsClient<T>(this IServiceCollection services, string service, JsonSerializerOptions json, int retries = 4,
        string contentType = SigV4SigningHandler.AmzJson)
        where T : class
    {
        services.TryAddSingleton<DefaultAWSCredentialsIdentityResolver>();
        var settings = new RefitSettings(new SystemTextJsonContentSerializer(json));
        var client = services.AddRefitGeneratedClient<T>(_ => settings)
            .ConfigureHttpClient((sp, http) => http.BaseAddress = sp.GetRequiredService<IOptions<AwsOptions>>().Value.EndpointFor(service));
        client.AddResilienceHandler(service, pipeline => pipeline.AddRetry(new HttpRetryStrategyOptions
        {
            MaxRetryAttempts = retries,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(200),
            ShouldHandle = args => AwsTransientErrors.IsTransientAsync(args.Outcome),
        }));
        client.AddHttpMessageHandler(sp => new SigV4SigningHandler(service, sp.GetRequiredService<IOptions<AwsOptions>>().Value.Region!,
            sp.GetRequiredService<DefaultAWSCredentialsIdentityResolver>(), contentType));
        return client;
    }
}
