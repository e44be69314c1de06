using Amazon;
using Amazon.Runtime.Credentials;
using Amazon.SQS;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Platform.ServiceDefaults.Aws;
using Polly;

namespace Platform.ServiceDefaults.AmazonSqs;

public static class AmazonSqsServiceCollectionExtensions
{
    /// <summary>
    /// The bus's <see cref="SqsConnection"/>: AWSSDK.SQS for queues, our <see cref="SnsClient"/> for topics, both at
    /// <c>Bus:AmazonSqs</c>'s region (or its one emulator endpoint), with credentials from the default chain.
    /// <paramref name="subscriptions"/>: which endpoint's queue takes which published message type, declared by the
    /// publisher before its first publish of that type.
    /// </summary>
    public static IServiceCollection AddAmazonSqsConnection(this IServiceCollection services, IEnumerable<(Type Message, string Queue)>? subscriptions = null)
    {
        services.TryAddSingleton<SqsRequestCounter>();
        services.TryAddSingleton<DefaultAWSCredentialsIdentityResolver>();
        var sns = services.AddHttpClient<SnsClient>((sp, http) => http.BaseAddress = Options(sp).SnsEndpoint);
        // Retries wrap the signing handler, so every attempt is signed anew.
        sns.AddResilienceHandler("sns", pipeline => pipeline.AddRetry(new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = 4,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(200),
            }));
        sns.AddHttpMessageHandler(sp => new SigV4SigningHandler("sns", Options(sp).SigningRegion,
                sp.GetRequiredService<DefaultAWSCredentialsIdentityResolver>(), SigV4SigningHandler.Form));
        services.TryAddSingleton(sp =>
        {
            var options = Options(sp);
            var config = new AmazonSQSConfig();
            if (options.Region is { } region)
                config.RegionEndpoint = RegionEndpoint.GetBySystemName(region);
            if (options.ServiceUrl is { } url)
            {
                config.ServiceURL = url.ToString();
                config.AuthenticationRegion = options.SigningRegion;
            }
            var names = new SqsEntityNames(options.Prefix);
            var subscribers = (subscriptions ?? []).GroupBy(s => names.MessageName(s.Message))
                .ToDictionary(g => g.Key, g => (IReadOnlyList<string>)[.. g.Select(s => s.Queue).Distinct()]);
            return new SqsConnection(new AmazonSQSClient(config), sp.GetRequiredService<SnsClient>(), options, sp.GetRequiredService<SqsRequestCounter>(), subscribers);
        });
        return services;
    }

    private static AmazonSqsOptions Options(IServiceProvider sp) => sp.GetRequiredService<IOptions<BusOptions>>().Value.AmazonSqs;
}
