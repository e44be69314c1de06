using Marten;
using Platform.ServiceDefaults.Configuration;

namespace Platform.Notifier.Features.SilenceAlerts;

/// <summary>The silences in force now: those created through the API and those in the config file.</summary>
public sealed class ActiveSilences(PlatformConfigSource config)
{
    public async Task<IReadOnlyList<Silence>> ListAsync(IQuerySession session, DateTimeOffset now, CancellationToken ct)
    {
        var stored = await session.Query<Silence>().Where(s => s.Until > now).ToListAsync(ct);
        return [.. stored, .. config.Current.Silences.Where(s => s.Until > now).Select(s => new Silence(Guid.Empty, s.Job, s.Route, s.Until, s.Reason, now))];
    }
}
