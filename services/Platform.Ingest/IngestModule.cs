using Microsoft.Extensions.Options;
using Platform.Ingest.Features.ImportEvents;
using Platform.Ingest.Features.NormalizeEcsEvents;
using Platform.Ingest.Features.PollSqsQueue;
using Platform.ServiceDefaults.Aws;
using Platform.Ingest.Features.ReceiveEvents;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Configuration;

namespace Platform.Ingest;

public static class IngestModule
{
    public static IHostApplicationBuilder AddIngest(this IHostApplicationBuilder builder)
    {
        builder.Services.AddPlatformOptions<IngestOptions>();
        builder.Services.AddAwsOptions(regionRequired: false);
        builder.Services.AddPlatformConfig();
        builder.Services.AddSingleton<EcsEventParser>();
        builder.Services.AddSingleton<EcsEventsSender>();
        builder.Services.AddHostedService<SqsEventPoller>();
        builder.Services.AddPlatformCommand(ImportCommand.Name, startsHost: true, ImportCommand.Create);
        return builder;
    }

    public static IEndpointRouteBuilder MapIngest(this IEndpointRouteBuilder app)
    {
        app.MapPost("/events", ReceiveEventsEndpoint.HandleAsync)
            .RequireApiKey(sp => sp.GetRequiredService<IOptions<IngestOptions>>().Value.ApiKey)
            .WithName("ReceiveEvents")
            .DisableAntiforgery();
        return app;
    }
}
