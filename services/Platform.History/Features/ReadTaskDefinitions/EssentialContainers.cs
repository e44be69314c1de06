using System.Collections.Concurrent;
using Marten;
using Microsoft.Extensions.Options;
using Platform.ServiceDefaults.Aws;
using Refit;

namespace Platform.History.Features.ReadTaskDefinitions;

/// <summary>
/// Which containers of a task definition revision are essential: from the revisions stored in PostgreSQL, else from
/// ECS's <c>DescribeTaskDefinition</c> (one call per revision ever, stored with the events that needed it). Task state
/// change events do not say which containers are essential, and the classification depends on it.
/// A revision that cannot be read (no <c>ecs:DescribeTaskDefinition</c> permission, deleted, ECS unreachable, or no
/// <c>Aws:Region</c> set) is absent from the answer, and is asked for again after <see cref="RetryUnreadableAfter"/>.
/// </summary>
public sealed partial class EssentialContainers(
    IServiceProvider services, IOptions<AwsOptions> aws, TimeProvider clock, ILogger<EssentialContainers> logger)
{
    public static readonly TimeSpan RetryUnreadableAfter = TimeSpan.FromMinutes(15);

    /// <summary>The time one batch may wait for ECS: the events are stored either way, classified by the assumed rule.</summary>
    public static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(10);

    private const int ConcurrentReads = 4;
    private readonly ConcurrentDictionary<string, DateTimeOffset> unreadableUntil = new();
    private readonly ConcurrentDictionary<string, TaskDefinitionContainers> remembered = new();

    private bool CanRead => aws.Value.Region is not null;

    public async Task<IReadOnlyDictionary<string, TaskDefinitionContainers>> ReadAsync(
        IDocumentSession session, IReadOnlyCollection<string> taskDefinitionArns, CancellationToken ct)
    {
        if (taskDefinitionArns.Count == 0 || !CanRead)
            return new Dictionary<string, TaskDefinitionContainers>();
        // A revision never changes: once read, it is kept in memory too, so a batch costs no query for it.
        var known = taskDefinitionArns.Where(remembered.ContainsKey).ToDictionary(arn => arn, arn => remembered[arn]);
        if (known.Count < taskDefinitionArns.Count)
            foreach (var stored in await session.LoadManyAsync<TaskDefinitionContainers>(ct, taskDefinitionArns.Where(arn => !known.ContainsKey(arn)).ToList()))
                known[stored.Id] = remembered[stored.Id] = stored;
        var now = clock.GetUtcNow();
        var missing = taskDefinitionArns.Where(arn => !known.ContainsKey(arn) && unreadableUntil.GetValueOrDefault(arn) <= now).ToList();
        if (missing.Count == 0)
            return known;

        // Resolved only here: without a region the client has no endpoint to be built with.
        var api = services.GetRequiredService<ITaskDefinitionsApi>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(ReadTimeout);
        var read = new ConcurrentBag<TaskDefinitionContainers>();
        await Parallel.ForEachAsync(missing, new ParallelOptions { MaxDegreeOfParallelism = ConcurrentReads, CancellationToken = ct },
            async (arn, _) =>
            {
                if (await DescribeAsync(api, arn, now, timeout.Token) is { } containers)
                    read.Add(containers);
                else
                    unreadableUntil[arn] = now + RetryUnreadableAfter;
            });
        foreach (var containers in read)
        {
            // Remembered in memory only once committed: the next batch finds it in PostgreSQL until then.
            session.Store(containers);
            known[containers.Id] = containers;
        }
        return known;
    }

    private async Task<TaskDefinitionContainers?> DescribeAsync(ITaskDefinitionsApi api, string arn, DateTimeOffset now, CancellationToken ct)
    {
        try
        {
            var response = await api.DescribeTaskDefinitionAsync(new DescribeTaskDefinitionRequest(arn), ct);
            if (response.TaskDefinition?.ContainerDefinitions is not { Count: > 0 } definitions)
            {
                LogUnreadable(arn, "the answer names no containers");
                return null;
            }
            return new TaskDefinitionContainers(arn,
                [.. definitions.Where(d => d.Essential ?? true).Select(d => d.Name)],
                [.. definitions.Where(d => d.Essential == false).Select(d => d.Name)],
                now);
        }
        catch (ApiException e)
        {
            LogUnreadable(arn, AwsApiErrors.Describe(e));
        }
        catch (Exception e)
        {
            // No credentials, ECS unreachable, the batch's time up: the events are stored all the same.
            LogUnreadable(arn, e.GetType().Name);
        }
        return null;
    }

    [LoggerMessage(LogLevel.Warning, "Task definition {TaskDefinition} could not be read ({Reason}); its runs are classified assuming every container that exited 0 ended the task, and marked as assumed")]
    private partial void LogUnreadable(string taskDefinition, string reason);
}
