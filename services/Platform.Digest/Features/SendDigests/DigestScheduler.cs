using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Marten;
using MassTransit;
using Microsoft.Extensions.Options;
using Platform.Contracts.Digest;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Configuration;

namespace Platform.Digest.Features.SendDigests;

/// <summary>The last period a route's digest covered; the next one starts where it ended.</summary>
public sealed record DigestCursor(string Id, string Schedule, DateTimeOffset LastEnd);

/// <summary>
/// At each tick of a route's digest schedule, asks history for the period since the last digest and publishes one
/// <see cref="DigestReady"/>: exactly one per route and period. After downtime the ticks missed meanwhile become one
/// catch-up digest covering the whole gap. The message id is derived from route and period end, so a crash between
/// publishing and saving the cursor republishes the same message, which the notifier drops. A new schedule starts
/// its first period at the moment it is first seen.
/// </summary>
public sealed partial class DigestScheduler(
    IDigestStore store, IHistoryReportsApi history, PlatformConfigSource config, IBus bus, IOptions<DigestOptions> options, TimeProvider clock,
    ILogger<DigestScheduler> logger) : LeaderLoop(clock, logger)
{
    /// <summary>The longest period history's <c>GET /reports</c> answers (31 days).</summary>
    private static readonly TimeSpan MaxPeriod = TimeSpan.FromDays(31);

    protected override string ConnectionString => options.Value.ConnectionString!;

    protected override string LeaseKey => "platform-digest:" + options.Value.Schema;

    protected override TimeSpan Interval => options.Value.CheckInterval;

    protected override Task RunOnceAsync(CancellationToken ct) => SendDueAsync(ct);

    public async Task SendDueAsync(CancellationToken ct)
    {
        var current = config.Current;
        var routes = current.Routes.Where(r => r.Digest is not null).ToList();
        if (routes.Count == 0)
            return;
        var now = Clock.GetUtcNow();
        await using var session = store.LightweightSession();
        var cursors = (await session.LoadManyAsync<DigestCursor>(ct, routes.Select(r => r.Name).ToList())).ToDictionary(c => c.Id);
        foreach (var route in routes)
        {
            var digest = route.Digest!;
            if (!cursors.TryGetValue(route.Name, out var cursor) || cursor.Schedule != digest.Schedule.Text)
            {
                session.Store(new DigestCursor(route.Name, digest.Schedule.Text, now));
                continue;
            }
            if (digest.Schedule.Between(cursor.LastEnd, now, digest.TimeZone, limit: 10_000).LastOrDefault() is var end && end == default)
                continue;
            // History reports at most a month at once: a catch-up after a longer outage covers its last month.
            var from = end - cursor.LastEnd > MaxPeriod ? end - MaxPeriod : cursor.LastEnd;
            var reports = await history.GetReportsAsync(from.ToString("O", CultureInfo.InvariantCulture), end.ToString("O", CultureInfo.InvariantCulture), ct);
            var jobs = reports.Where(r => current.RoutesFor(r.Job, "").Any(x => x.Name == route.Name)).ToList();
            var message = new DigestReady(route.Name, from, end, digest.TimeZone.Id, jobs);
            await bus.Publish(message, c => c.MessageId = MessageIdFor(route.Name, end), ct);
            session.Store(cursor with { LastEnd = end });
            LogSent(route.Name, from, end, jobs.Count);
        }
        await session.SaveChangesAsync(ct);
    }

    private static Guid MessageIdFor(string route, DateTimeOffset end)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"digest:{route}:{end.UtcTicks}"));
        return new Guid(hash.AsSpan(0, 16));
    }

    [LoggerMessage(LogLevel.Information, "Digest for route {Route}: {From:O} to {To:O}, {Jobs} job(s)")]
    private partial void LogSent(string route, DateTimeOffset from, DateTimeOffset to, int jobs);

}
