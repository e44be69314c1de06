using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Platform.ServiceDefaults.Aws;

public static class AwsExtensions
{
    /// <summary>
    /// Binds <c>Aws:Region</c> and <c>Aws:ServiceUrl</c>, falling back on the older keys given in <paramref name="aliases"/>
    /// (e.g. <c>Retry:Ecs</c>), and, when the service calls AWS, requires a region at start.
    /// </summary>
    public static OptionsBuilder<AwsOptions> AddAwsOptions(this IServiceCollection services, bool regionRequired, params string[] aliases) =>
        services.AddPlatformOptions<AwsOptions>()
            .PostConfigure<IConfiguration>((o, config) =>
            {
                // An empty setting (Aws__Region= in a compose file) is no setting.
                o.Region = string.IsNullOrWhiteSpace(o.Region) ? null : o.Region;
                foreach (var alias in aliases)
                {
                    o.Region ??= config[$"{alias}:Region"] is { Length: > 0 } region ? region : null;
                    o.ServiceUrl ??= config[$"{alias}:ServiceUrl"] is { Length: > 0 } url ? new Uri(url) : null;
                }
            })
            .Validate(o => !regionRequired || o.Region is not null,
                "Aws:Region is required (set Aws__Region, e.g. eu-west-1): the service calls AWS APIs in that region.");
}
