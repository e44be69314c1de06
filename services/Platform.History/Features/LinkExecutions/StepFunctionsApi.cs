using System.Text.Json;
using System.Text.Json.Serialization;
using Refit;

namespace Platform.History.Features.LinkExecutions;

/// <summary>Step Functions' <c>GetExecutionHistory</c> on its JSON 1.0 protocol (Step Functions API reference).</summary>
public interface IStepFunctionsApi
{
    [Post("/")]
    [Headers("X-Amz-Target: AWSStepFunctions.GetExecutionHistory")]
    Task<GetExecutionHistoryResponse> GetExecutionHistoryAsync([Body] GetExecutionHistoryRequest request, CancellationToken ct);
}

public sealed record GetExecutionHistoryRequest(string ExecutionArn, int MaxResults = 1000, string? NextToken = null, bool IncludeExecutionData = true);

public sealed record GetExecutionHistoryResponse(IReadOnlyList<HistoryEvent>? Events, string? NextToken);

/// <summary>One event of an execution's history: the members this platform reads (the API has a details member per type).</summary>
public sealed record HistoryEvent(
    long Id,
    long PreviousEventId,
    string Type,
    StateEnteredEventDetails? StateEnteredEventDetails = null,
    TaskEventDetails? TaskSubmittedEventDetails = null,
    TaskEventDetails? TaskSucceededEventDetails = null,
    TaskEventDetails? TaskFailedEventDetails = null,
    TaskEventDetails? TaskTimedOutEventDetails = null,
    TaskEventDetails? TaskStartFailedEventDetails = null,
    TaskEventDetails? TaskSubmitFailedEventDetails = null,
    FailureDetails? ExecutionFailedEventDetails = null,
    FailureDetails? ExecutionTimedOutEventDetails = null,
    FailureDetails? ExecutionAbortedEventDetails = null);

public sealed record StateEnteredEventDetails(string Name);

/// <summary>A Task state's event: <c>output</c> (submitted, succeeded) and <c>error</c>/<c>cause</c> (failed, timed out).</summary>
public sealed record TaskEventDetails(string? ResourceType, string? Resource, string? Output, string? Error, string? Cause);

public sealed record FailureDetails(string? Error, string? Cause);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(GetExecutionHistoryRequest))]
[JsonSerializable(typeof(GetExecutionHistoryResponse))]
public sealed partial class StepFunctionsJsonContext : JsonSerializerContext;
