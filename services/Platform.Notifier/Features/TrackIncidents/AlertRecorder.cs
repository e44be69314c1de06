using JasperFx;
using Marten;
using Platform.Contracts.History;
using Platform.Notifier.Features.DeliverToSlack;
using Platform.Notifier.Features.RenderSlackMessages;
using Platform.Notifier.Features.RouteAlerts;
using Platform.Notifier.Features.SilenceAlerts;
using Platform.ServiceDefaults.Configuration;

namespace Platform.Notifier.Features.TrackIncidents;

/// <summary>
/// Turns run outcomes into deliveries, per route: the first failure of a job opens an incident and alerts at once;
/// further failures fold into its thread (or a reminder every repeat interval); a success closes it with a recovery
/// message. Each integration event is handled once: its id is stored in the same commit as its effects.
/// </summary>
public sealed class AlertRecorder(INotifierStore store, AlertRouter router, ActiveSilences activeSilences, PlatformConfigSource config,
    TimeProvider clock, DeliverySignal signal)
{
    private static long lastSequence;

    /// <remarks>
    /// A monitor's <c>alertAfter</c> holds the alert back until that many failures came in a row (each kept in
    /// <see cref="Incident.Pending"/>, listed in the alert); a success in between clears them.
    /// </remarks>
    public Task RecordFailureAsync(Guid messageId, string job, string cluster, DateTimeOffset failedAt, string summary, Func<RouteConfig, SlackContent> render, CancellationToken ct) =>
        RecordAsync(messageId, job, cluster, ct, on =>
        {
            var (session, route, incident, silenced, now) = on;
            // An incident whose alert Slack refused for good has told nobody: the next failure alerts anew.
            if (incident is not { Open: true } || on.RootFailed)
            {
                var pending = incident is { Open: false } ? incident.Pending : [];
                var line = $"{failedAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC: {summary}";
                var lastFailureAt = incident is not null && incident.LastFailureAt > failedAt ? incident.LastFailureAt : failedAt;
                if (incident is not { Open: true } && pending.Count + 1 < AlertAfter(job))
                {
                    session.Store((incident ?? NewIncident(route, job)) with { Pending = [.. pending, line], LastFailureAt = lastFailureAt });
                    return;
                }
                var content = render(route);
                if (pending.Count > 0)
                    content = SlackMessageRenderer.WithEarlierFailures(content, pending);
                var alert = NewDelivery(route, job, DeliveryKind.Alert, content, summary, messageId, null, silenced, now);
                session.Store(alert);
                session.Store(NewIncident(route, job) with
                {
                    Open = true, OpenedAt = incident is { Open: true } ? incident.OpenedAt : now,
                    Failures = incident is { Open: true } ? incident.Failures + 1 : pending.Count + 1, RootDeliveryId = alert.Id, LastNotifiedAt = now,
                    LastSummary = summary, LastFailureAt = lastFailureAt,
                });
                return;
            }

            var failures = incident.Failures + 1;
            var update = route.Slack.CanThread
                ? NewDelivery(route, job, DeliveryKind.ThreadUpdate, SlackMessageRenderer.StillFailing(job, failures, summary), summary, messageId, incident.RootDeliveryId, silenced, now)
                : now - incident.LastNotifiedAt >= route.RepeatInterval
                    ? NewDelivery(route, job, DeliveryKind.Reminder, SlackMessageRenderer.StillFailing(job, failures, summary), summary, messageId, null, silenced, now)
                    : null;
            if (update is not null)
                session.Store(update);
            session.Store(incident with
            {
                Failures = failures,
                LastNotifiedAt = update is null ? incident.LastNotifiedAt : now,
                LastSummary = summary,
                LastFailureAt = failedAt > incident.LastFailureAt ? failedAt : incident.LastFailureAt,
                Recovering = 0,
            });
        });

    private int AlertAfter(string job) => config.Current.MonitorFor(job)?.AlertAfter ?? 1;

    private int RecoverAfter(string job) => config.Current.MonitorFor(job)?.RecoverAfter ?? 1;

    private static Incident NewIncident(RouteConfig route, string job) => new() { Id = Incident.IdFor(route.Name, job), Route = route.Name, Job = job };

    /// <remarks>
    /// A success clears failures held back by <c>alertAfter</c>; an open incident recovers on the monitor's
    /// <c>recoverAfter</c>-th success in a row. A success older than the incident's newest failure changes nothing.
    /// </remarks>
    public Task RecordSuccessAsync(Guid messageId, RunSucceeded run, CancellationToken ct) =>
        RecordAsync(messageId, run.Job, run.Cluster, ct, on =>
        {
            var (session, route, incident, silenced, now) = on;
            if (incident is null || (run.StoppedAt ?? now) <= incident.LastFailureAt)
                return;
            if (!incident.Open)
            {
                if (incident.Pending.Count > 0)
                    session.Store(incident with { Pending = [] });
                return;
            }
            if (incident.Recovering + 1 < RecoverAfter(run.Job))
            {
                session.Store(incident with { Recovering = incident.Recovering + 1 });
                return;
            }
            var content = SlackMessageRenderer.Recovery(run.Job, incident.Failures, run);
            session.Store(NewDelivery(route, run.Job, DeliveryKind.Recovery, content, content.Text, messageId,
                route.Slack.CanThread ? incident.RootDeliveryId : null, silenced, now));
            session.Store(incident with { Open = false, ClosedAt = now });
        }, onlyWithOpenIncidents: true);

    /// <summary>
    /// A retry decision: into the open incident's thread on routes that thread. Where a route cannot thread, only an
    /// <paramref name="important"/> one (the retries gave up, a relaunch was refused) is posted, as a message of its own.
    /// </summary>
    public Task RecordRetryUpdateAsync(Guid messageId, string job, string cluster, string text, bool important, CancellationToken ct) =>
        RecordAsync(messageId, job, cluster, ct, on =>
        {
            var (session, route, incident, silenced, now) = on;
            var content = SlackMessageRenderer.RetryUpdate(text);
            if (incident is { Open: true } && route.Slack.CanThread)
                session.Store(NewDelivery(route, job, DeliveryKind.ThreadUpdate, content, text, messageId, incident.RootDeliveryId, silenced, now));
            else if (important)
                session.Store(NewDelivery(route, job, incident is { Open: true } ? DeliveryKind.Reminder : DeliveryKind.Alert, content, text, messageId, null, silenced, now));
        }, onlyWithOpenIncidents: !important);

    /// <summary>What one message decides for one of its routes from: the route, its incident and that incident's first alert.</summary>
    private sealed record RouteState(IDocumentSession Session, RouteConfig Route, Incident? Incident, bool Silenced, DateTimeOffset Now, bool RootFailed)
    {
        public void Deconstruct(out IDocumentSession session, out RouteConfig route, out Incident? incident, out bool silenced, out DateTimeOffset now) =>
            (session, route, incident, silenced, now) = (Session, Route, Incident, Silenced, Now);
    }

    private async Task RecordAsync(Guid messageId, string job, string cluster, CancellationToken ct, Action<RouteState> decide,
        bool onlyWithOpenIncidents = false)
    {
        var routes = router.RoutesFor(job, cluster);
        if (routes.Count == 0)
            return;
        var now = clock.GetUtcNow();
        await using var session = store.LightweightSession();
        var incidents = (await session.LoadManyAsync<Incident>(ct, routes.Select(r => Incident.IdFor(r.Name, job)))).ToDictionary(i => i.Route);
        // A success is the common case: it costs one read, and no write unless it ends an incident (or held failures).
        if (onlyWithOpenIncidents && !incidents.Values.Any(i => i.Open || i.Pending.Count > 0))
            return;
        var silences = await activeSilences.ListAsync(session, now, ct);
        var roots = incidents.Values.Where(i => i.Open).Select(i => i.RootDeliveryId).ToList();
        var failedRoots = roots.Count == 0
            ? []
            : (await session.LoadManyAsync<Delivery>(ct, roots)).Where(d => d.Status == DeliveryStatus.Failed).Select(d => d.Id).ToHashSet();

        session.Insert(new HandledMessage(messageId.ToString()));
        foreach (var route in routes)
        {
            var incident = incidents.GetValueOrDefault(route.Name);
            decide(new RouteState(session, route, incident, silences.Any(s => s.Covers(job, route.Name, now)), now,
                incident is not null && failedRoots.Contains(incident.RootDeliveryId)));
        }
        await SaveOnceAsync(session, ct);
    }

    /// <summary>Saves a message's effects with its <see cref="HandledMessage"/>; a message handled before changes nothing.</summary>
    private async Task SaveOnceAsync(IDocumentSession session, CancellationToken ct)
    {
        try
        {
            await session.SaveChangesAsync(ct);
        }
        catch (DocumentAlreadyExistsException)
        {
            return; // delivered before: its effects are already stored
        }
        signal.Notify();
    }

    /// <summary>
    /// The platform's own trouble (messages waiting in an error queue) is posted to the default route, as a message of its
    /// own, whatever the silences: nobody would know otherwise.
    /// </summary>
    public async Task RecordPlatformProblemAsync(Guid messageId, string text, CancellationToken ct)
    {
        if (router.Default() is not { } route)
            return;
        var now = clock.GetUtcNow();
        await using var session = store.LightweightSession();
        session.Insert(new HandledMessage(messageId.ToString()));
        session.Store(NewDelivery(route, "", DeliveryKind.Alert, SlackMessageRenderer.RetryUpdate(text), text, messageId, null, silenced: false, now));
        await SaveOnceAsync(session, ct);
    }

    /// <summary>A digest goes to its own route only, whatever the silences (it is the sign that monitoring works).</summary>
    public async Task RecordDigestAsync(Guid messageId, string routeName, IReadOnlyList<SlackContent> parts, CancellationToken ct)
    {
        if (router.Find(routeName) is not { } route)
            return;
        var now = clock.GetUtcNow();
        await using var session = store.LightweightSession();
        session.Insert(new HandledMessage(messageId.ToString()));
        foreach (var part in parts)
            session.Store(NewDelivery(route, "", DeliveryKind.Digest, part, part.Text, messageId, null, silenced: false, now));
        await SaveOnceAsync(session, ct);
    }

    private static Delivery NewDelivery(RouteConfig route, string job, DeliveryKind kind, SlackContent content, string summary,
        Guid messageId, Guid? threadRoot, bool silenced, DateTimeOffset now) => new()
    {
        Id = Guid.CreateVersion7(now),
        Route = route.Name,
        Job = job,
        Kind = kind,
        Sequence = NextSequence(now),
        CreatedAt = now,
        Text = content.Text,
        Blocks = content.Blocks,
        Summary = summary,
        SourceMessageId = messageId,
        ThreadRootId = threadRoot,
        Status = silenced ? DeliveryStatus.Silenced : DeliveryStatus.Pending,
        NextAttemptAt = now,
    };

    /// <summary>Increasing across calls and restarts: deliveries to one route are sent in this order.</summary>
    private static long NextSequence(DateTimeOffset now)
    {
        while (true)
        {
            var last = Interlocked.Read(ref lastSequence);
            var next = Math.Max(last + 1, now.UtcTicks);
            if (Interlocked.CompareExchange(ref lastSequence, next, last) == last)
                return next;
        }
    }
}
