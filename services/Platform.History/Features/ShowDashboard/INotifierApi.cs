using Platform.Contracts.Notifier;
using Refit;

namespace Platform.History.Features.ShowDashboard;

/// <summary>The notifier's incidents and silences, for the incidents page; its admin calls carry the admin key the user typed.</summary>
public interface INotifierApi
{
    [Get("/incidents")]
    Task<List<IncidentReport>> GetIncidentsAsync([Header("X-Api-Key")] string readKey, int limit, CancellationToken ct);

    [Get("/silences")]
    Task<List<SilenceReport>> GetSilencesAsync([Header("X-Api-Key")] string readKey, CancellationToken ct);

    [Post("/silences")]
    Task<HttpResponseMessage> CreateSilenceAsync([Header("X-Api-Key")] string adminKey, [Body] CreateSilence request, CancellationToken ct);

    [Delete("/silences/{id}")]
    Task<HttpResponseMessage> DeleteSilenceAsync([Header("X-Api-Key")] string adminKey, Guid id, CancellationToken ct);
}
