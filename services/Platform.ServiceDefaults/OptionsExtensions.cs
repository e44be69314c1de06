using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Platform.ServiceDefaults;

/// <summary>Options classes name their configuration section.</summary>
public interface IPlatformOptions
{
    static abstract string SectionName { get; }
}

public static class OptionsExtensions
{
    /// <summary>Binds <typeparamref name="T"/> to its section and validates it at start, so a bad setting stops the service.</summary>
    public static OptionsBuilder<T> AddPlatformOptions<T>(this IServiceCollection services) where T : class, IPlatformOptions =>
        services.AddOptions<T>()
            .BindConfiguration(T.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
}
