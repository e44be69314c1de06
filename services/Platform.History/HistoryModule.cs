using Microsoft.Extensions.Options;
using Platform.History.Features.DetectMissedRuns;
using Platform.History.Features.LinkExecutions;
using Platform.History.Features.ReadTaskDefinitions;
using Platform.History.Features.RecordEcsEvents;
using Platform.History.Features.ReportPeriods;
using Platform.History.Features.RecordRetryDecisions;
using Platform.History.Features.ReplayHistory;
using Platform.History.Features.ShowDashboard;
using Platform.History.Features.SummarizeJobs;
using Platform.History.Features.TrackRuns;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Aws;
using Platform.ServiceDefaults.Configuration;

namespace Platform.History;

public static class HistoryModule
{
    public static IHostApplicationBuilder AddHistory(this IHostApplicationBuilder builder)
    {
        builder.Services.AddPlatformOptions<HistoryOptions>()
            .Configure<IConfiguration>((o, config) => o.ConnectionString ??= config.GetConnectionString("Postgres"));
        builder.Services.AddHistoryStore(builder.Environment.IsDevelopment());
        builder.Services.AddHostedService<StoreCompression>();
        builder.Services.AddHealthChecks().AddPostgres("history-postgres", sp => sp.GetRequiredService<IOptions<HistoryOptions>>().Value.ConnectionString!);
        builder.Services.AddPlatformConfig();
        builder.Services.AddSingleton<JobNaming>();
        builder.Services.AddSingleton<EcsEventsRecorder>();
        builder.Services.AddAwsOptions(regionRequired: false);
        // One retry: a batch of events waits for this answer, and stores its runs as "assumed" without it.
        builder.Services.AddAwsClient<ITaskDefinitionsApi>("ecs", TaskDefinitionsJsonContext.Default.Options, retries: 1);
        builder.Services.AddSingleton<EssentialContainers>();
        builder.Services.AddAwsClient<IStepFunctionsApi>("states", StepFunctionsJsonContext.Default.Options, contentType: SigV4SigningHandler.AmzJson10);
        builder.Services.AddHostedService<ExecutionLinker>();
        builder.Services.AddSingleton(sp => new GroupCommit<Contracts.Ingest.RecordEcsEvents>(
            sp.GetRequiredService<EcsEventsRecorder>().WriteAsync, RecordEcsEventsConsumerDefinition.MaxMessagesPerWrite));
        builder.AddDashboard();
        builder.Services.AddHostedService<MissedRunDetector>();
        builder.Services.AddHostedService<Features.WatchPipelines.PipelineWatcher>();
        builder.Services.AddSingleton<ProjectionRebuilder>();
        builder.Services.AddSingleton<TimelineExporter>();
        builder.Services.AddPlatformCommand(RebuildCommand.Name, startsHost: false, RebuildCommand.Create);
        builder.Services.AddPlatformCommand(ExportCommand.Name, startsHost: false, ExportCommand.Create);
        builder.AddBusConsumers(x =>
        {
            x.AddConsumer<RecordEcsEventsConsumer>(typeof(RecordEcsEventsConsumerDefinition));
            x.AddConsumer<RetryDecisionConsumer>().Endpoint(e => e.Name = PlatformTopology.HistoryRetryDecisions);
            x.AddConsumer<Features.KeepDeadLetters.MessageDeadLetteredConsumer>().Endpoint(e => e.Name = PlatformTopology.HistoryDeadLetters);
        });
        return builder;
    }

    public static IEndpointRouteBuilder MapHistory(this IEndpointRouteBuilder app)
    {
        app.MapGet("/reports", GetReportsEndpoint.HandleAsync).RequireHistoryReadAccess();
        var jobs = app.MapGroup("/jobs").RequireHistoryReadAccess();
        jobs.MapGet("/", JobEndpoints.ListAsync);
        jobs.MapGet("/{name}", JobEndpoints.GetAsync);
        jobs.MapGet("/{name}/runs", GetJobRunsEndpoint.HandleAsync);
        jobs.MapGet("/{name}/retries", GetJobRetriesEndpoint.HandleAsync);
        jobs.MapGet("/{name}/gaps", GetJobGapsEndpoint.HandleAsync);
        app.MapDashboard();
        return app;
    }
}
