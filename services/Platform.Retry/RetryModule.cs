using Amazon.Runtime.Credentials;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Platform.Retry.Features.CallEcs;
using Platform.ServiceDefaults;
using Polly;
using Refit;

namespace Platform.Retry;

public static class RetryModule
{
    public static IHostApplicationBuilder AddRetry(this IHostApplicationBuilder builder)
    {
        builder.Services.AddPlatformOptions<RetryOptions>();
        builder.Services.AddSingleton<DefaultAWSCredentialsIdentityResolver>();
        builder.Services.AddTransient<SigV4SigningHandler>();
        var json = new RefitSettings(new SystemTextJsonContentSerializer(EcsJsonContext.Default.Options));
        var ecs = builder.Services.AddRefitGeneratedClient<IEcsApi>(_ => json)
            .ConfigureHttpClient((sp, client) => client.BaseAddress = sp.GetRequiredService<IOptions<RetryOptions>>().Value.Ecs.Endpoint);
        // Retries wrap the signing handler, so every attempt is signed anew. RunTask requests carry a clientToken,
            // which makes a retried POST idempotent.
        ecs.AddResilienceHandler("ecs", pipeline => pipeline.AddRetry(new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = 4,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(200),
                ShouldHandle = args => EcsTransientErrors.IsTransientAsync(args.Outcome),
            }));
        ecs.AddHttpMessageHandler<SigV4SigningHandler>();
        return builder;
    }

    public static IEndpointRouteBuilder MapRetry(this IEndpointRouteBuilder app) => app;
}
