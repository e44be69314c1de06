using System.Net;
using Marten;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.ServiceDefaults;
using Platform.Notifier.Features.RenderSlackMessages;
using Platform.Notifier.Features.RouteAlerts;
using Platform.ServiceDefaults.Configuration;

namespace Platform.Notifier.Features.DeliverToSlack;

/// <summary>
/// Sends stored deliveries, one route at a time and in order: at most one message per <c>MinimumInterval</c> per
/// route, bursts waiting in line; 429 honours Retry-After, 5xx and timeouts back off; the head of a route's line is
/// retried until it goes (or Slack refuses it for good), so later messages never overtake it. Only one notifier
/// instance dispatches (a PostgreSQL advisory lock); the others stand by.
/// </summary>
public sealed partial class DeliveryDispatcher(
    INotifierStore store,
    AlertRouter router,
    PlatformConfigSource config,
    ISlackWebhookApi webhooks,
    ISlackWebApi slack,
    DeliverySignal signal,
    IOptions<NotifierOptions> options,
    TimeProvider clock,
    ILogger<DeliveryDispatcher> logger) : BackgroundService
{
    private readonly Dictionary<string, DateTimeOffset> lastSent = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var leadership = await AcquireLeadershipAsync(stoppingToken);
                if (leadership is null)
                {
                    await Task.Delay(TimeSpan.FromSeconds(5), clock, stoppingToken);
                    continue;
                }
                await DispatchWhileLeaderAsync(leadership, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogDispatchFailed(e);
                await Task.Delay(TimeSpan.FromSeconds(2), clock, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async Task DispatchWhileLeaderAsync(NpgsqlConnection leadership, CancellationToken stoppingToken)
    {
        // Route workers live no longer than this term. A term that ends in an error (PostgreSQL restarting) must not
        // leave its workers behind: the next term starts its own, and two workers of one route post the same delivery.
        using var term = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var ct = term.Token;
        var workers = new Dictionary<string, Task>();
        try
        {
            await DispatchAsync(leadership, workers, ct);
        }
        finally
        {
            await term.CancelAsync();
            await Task.WhenAll(workers.Values).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task DispatchAsync(NpgsqlConnection leadership, Dictionary<string, Task> workers, CancellationToken ct)
    {
        var leaseChecked = clock.GetTimestamp();
        while (!ct.IsCancellationRequested)
        {
            // The lease is the lock held by that one connection: should it die alone (the server ended it, a proxy
            // dropped it), another instance can take the lease, and this term must end before both dispatch.
            if (clock.GetElapsedTime(leaseChecked) >= TimeSpan.FromSeconds(5))
            {
                await LeaderLease.EnsureHeldAsync(leadership, ct);
                leaseChecked = clock.GetTimestamp();
            }
            await using (var session = store.QuerySession())
            {
                var routes = await session.Query<Delivery>().Where(d => d.Status == DeliveryStatus.Pending)
                    .Select(d => d.Route).Distinct().ToListAsync(ct);
                foreach (var route in routes.Where(r => !workers.TryGetValue(r, out var w) || w.IsCompleted))
                {
                    var worker = Task.Run(() => DrainRouteAsync(route, ct), ct);
                    // A delivery stored just as its route's worker found the line empty and ended was seen here while
                    // that worker still ran: look again as soon as it has ended, not at the next poll.
                    _ = worker.ContinueWith(_ => signal.Notify(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
                    workers[route] = worker;
                }
            }
            foreach (var done in workers.Where(w => w.Value.IsFaulted).ToList())
            {
                LogDispatchFailed(done.Value.Exception!);
                workers.Remove(done.Key);
            }
            await signal.WaitAsync(TimeSpan.FromSeconds(1), ct);
        }
    }

    /// <summary>Sends one route's pending deliveries, oldest first, until none is left.</summary>
    private async Task DrainRouteAsync(string routeName, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            await using var session = store.LightweightSession();
            var pending = await session.Query<Delivery>()
                .Where(d => d.Route == routeName && d.Status == DeliveryStatus.Pending)
                .OrderBy(d => d.Sequence).Take(100).ToListAsync(ct);
            if (pending.Count == 0)
                return;

            var head = pending[0];
            var wait = Max(head.NextAttemptAt, lastSent.GetValueOrDefault(routeName) + options.Value.MinimumInterval) - clock.GetUtcNow();
            if (wait > TimeSpan.Zero)
                await Task.Delay(wait, clock, ct);

            var route = router.Find(routeName);
            if (route is null)
            {
                session.Store(head with { Status = DeliveryStatus.Failed, LastError = $"route '{routeName}' is no longer configured" });
                await session.SaveChangesAsync(ct);
                continue;
            }

            var storm = await StormAsync(session, [.. pending], config.Current.Storm, clock.GetUtcNow(), ct);
            if (storm.Count > 0)
            {
                // Grouping rewrites the line: one message takes the alerts' place, at the head.
                var group = GroupedDelivery(storm, head);
                session.Store(group);
                foreach (var alert in storm)
                    session.Store(alert with { Status = DeliveryStatus.Grouped, GroupedInto = group.Id });
                await session.SaveChangesAsync(CancellationToken.None);
                continue;
            }

            var threadTs = head.ThreadRootId is { } rootId ? (await session.LoadAsync<Delivery>(rootId, ct))?.SlackTs : null;
            var result = await SendAsync(route, head, threadTs, ct);
            lastSent[routeName] = clock.GetUtcNow();
            var now = clock.GetUtcNow();
            switch (result)
            {
                case SendResult.Sent sent:
                    session.Store(head with { Status = DeliveryStatus.Sent, SentAt = now, Attempts = head.Attempts + 1, SlackTs = sent.Ts, LastError = null });
                    if (head.Kind == DeliveryKind.Grouped)
                        await MarkGroupedSentAsync(session, head, now, ct);
                    break;
                case SendResult.RetryAfter retry:
                    LogRetrying(routeName, retry.Reason, retry.Delay.TotalSeconds);
                    session.Store(head with { Attempts = head.Attempts + 1, NextAttemptAt = now + retry.Delay, LastError = retry.Reason });
                    break;
                case SendResult.Refused refused when !head.PlainText:
                    // Slack refused the message as built (invalid_blocks, a limit, a 400): the same alert once more as plain text.
                    LogRetryingAsText(routeName, refused.Reason);
                    session.Store(head with { PlainText = true, Attempts = head.Attempts + 1, NextAttemptAt = now, LastError = refused.Reason });
                    break;
                case SendResult.Refused refused:
                    LogRefused(routeName, refused.Reason);
                    session.Store(head with { Status = DeliveryStatus.Failed, Attempts = head.Attempts + 1, LastError = refused.Reason });
                    break;
            }
            await session.SaveChangesAsync(CancellationToken.None);
        }
    }

    /// <summary>
    /// The top-level alerts waiting for this route, when this route got more than the threshold of alerts within the
    /// storm window (counting those already sent): then the waiting ones go as one message.
    /// </summary>
    private static async Task<List<Delivery>> StormAsync(IQuerySession session, List<Delivery> pending, StormConfig storm, DateTimeOffset now, CancellationToken ct)
    {
        if (pending[0].Kind != DeliveryKind.Alert || pending[0].Attempts != 0)
            return [];
        var since = now - storm.Window;
        var waiting = pending.Where(d => d.Kind == DeliveryKind.Alert && d.Attempts == 0 && d.CreatedAt >= since).ToList();
        if (waiting.Count < 2)
            return [];
        var route = pending[0].Route;
        var sent = await session.Query<Delivery>().CountAsync(d => d.Route == route && d.Kind == DeliveryKind.Alert
            && d.Status == DeliveryStatus.Sent && d.CreatedAt >= since, ct);
        return sent + waiting.Count > storm.Threshold ? waiting : [];
    }

    private static Delivery GroupedDelivery(List<Delivery> alerts, Delivery head)
    {
        var content = SlackMessageRenderer.Storm(alerts.Select(a => (a.Job, a.Summary)).ToList());
        return head with
        {
            Id = Guid.CreateVersion7(),
            Kind = DeliveryKind.Grouped,
            Job = string.Join(",", alerts.Select(a => a.Job).Distinct()),
            Text = content.Text,
            Blocks = content.Blocks,
            Summary = $"{alerts.Count} alerts grouped",
            SourceMessageId = null,
            Sequence = head.Sequence - 1,
        };
    }

    private static async Task MarkGroupedSentAsync(IDocumentSession session, Delivery group, DateTimeOffset now, CancellationToken ct)
    {
        var members = await session.Query<Delivery>().Where(d => d.GroupedInto == group.Id).ToListAsync(ct);
        foreach (var member in members)
            session.Store(member with { SentAt = now });
    }

    private async Task<SendResult> SendAsync(RouteConfig route, Delivery delivery, string? threadTs, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.Value.RequestTimeout);
        try
        {
            if (route.Slack.Console)
            {
                LogConsole(route.Name, delivery.Text, delivery.Blocks.ToJsonString());
                return new SendResult.Sent(null);
            }
            if (route.Slack.WebhookUrl is { } url)
            {
                var response = await webhooks.PostAsync(url, new SlackPayload(delivery.Text, delivery.PlainText ? null : delivery.Blocks), timeout.Token);
                return response.IsSuccessStatusCode ? new SendResult.Sent(null) : Classify(response, delivery);
            }
            var payload = new SlackPayload(delivery.Text, delivery.PlainText ? null : delivery.Blocks, route.Slack.Channel, threadTs,
                delivery.Kind == DeliveryKind.Recovery && threadTs is not null ? true : null);
            var posted = await slack.PostMessageAsync(route.Slack.BotToken!, payload, timeout.Token);
            if (!posted.IsSuccessStatusCode)
                return Classify(posted, delivery);
            return posted.Content is { Ok: true } ok
                ? new SendResult.Sent(ok.Ts)
                : new SendResult.Refused($"Slack answered ok=false: {posted.Content?.Error ?? "unknown error"}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return Backoff(delivery, $"no answer within {options.Value.RequestTimeout.TotalSeconds:F0} s");
        }
        catch (HttpRequestException e)
        {
            return Backoff(delivery, $"request failed: {e.HttpRequestError}");
        }
    }

    private static SendResult Classify(Refit.IApiResponse response, Delivery delivery)
    {
        if (response.StatusCode is not { } status)
            return Backoff(delivery, $"request failed: {response.Error?.GetType().Name ?? "no response"}");
        var retryAfter = response.Headers?.RetryAfter;
        var code = (int)status;
        if (status == HttpStatusCode.TooManyRequests)
        {
            var delay = retryAfter?.Delta ?? (retryAfter?.Date is { } date ? date - DateTimeOffset.UtcNow : (TimeSpan?)null) ?? TimeSpan.FromSeconds(30);
            return new SendResult.RetryAfter(delay < TimeSpan.Zero ? TimeSpan.Zero : delay, "429 rate limited");
        }
        if (code >= 500 || status == HttpStatusCode.RequestTimeout)
            return Backoff(delivery, $"{code} from Slack");
        return new SendResult.Refused($"{code} from Slack");
    }

    /// <summary>
    /// Slack unreachable or failing: 1, 2, 4 … seconds, at most a minute, so alerts resume within a minute of Slack's
    /// recovery. (Attempts also count the 429s answered before, so an uncapped doubling would wait minutes after a
    /// rate limit.)
    /// </summary>
    private static SendResult Backoff(Delivery delivery, string reason) =>
        new SendResult.RetryAfter(TimeSpan.FromSeconds(Math.Min(60, Math.Pow(2, Math.Min(delivery.Attempts, 6)))), reason);

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private Task<NpgsqlConnection?> AcquireLeadershipAsync(CancellationToken ct) =>
        LeaderLease.TryAcquireAsync(options.Value.ConnectionString!, "platform-notifier-dispatcher:" + options.Value.Schema, ct);

    private abstract record SendResult
    {
        public sealed record Sent(string? Ts) : SendResult;
        public sealed record RetryAfter(TimeSpan Delay, string Reason) : SendResult;
        public sealed record Refused(string Reason) : SendResult;
    }

    [LoggerMessage(LogLevel.Information, "Slack (route {Route}) would show: {Text} {Blocks}")]
    private partial void LogConsole(string route, string text, string blocks);

    [LoggerMessage(LogLevel.Warning, "Route {Route}: delivery postponed ({Reason}); next attempt in {Seconds:F0} s")]
    private partial void LogRetrying(string route, string reason, double seconds);

    [LoggerMessage(LogLevel.Warning, "Route {Route}: Slack refused a delivery ({Reason}); sending it once more as plain text")]
    private partial void LogRetryingAsText(string route, string reason);

    [LoggerMessage(LogLevel.Error, "Route {Route}: Slack refused a delivery ({Reason}); it is marked failed and the next one goes")]
    private partial void LogRefused(string route, string reason);

    [LoggerMessage(LogLevel.Error, "Dispatching deliveries failed; trying again")]
    private partial void LogDispatchFailed(Exception e);
}
