using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Platform.ServiceDefaults;

/// <summary>Options classes name their configuration section.</summary>
public interface IPlatformOptions
{
    static abstract string SectionName { get; }
}

public static class OptionsExtensions
{
    /// <summary>
    /// Binds <typeparamref name="T"/> to its section and validates it at start, nested settings (<c>Ingest:Sqs</c>)
    /// included, so a bad setting stops the service with a message that names its key.
    /// </summary>
    public static OptionsBuilder<T> AddPlatformOptions<T>(this IServiceCollection services) where T : class, IPlatformOptions
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<T>, PlatformOptionsValidator<T>>());
        return services.AddOptions<T>()
            .BindConfiguration(T.SectionName)
            .ValidateOnStart();
    }
}

/// <summary>
/// Data annotations and <see cref="IValidatableObject"/> on the options and on every nested settings object of ours,
/// each failure as <c>Section:Nested:Key: why</c>.
/// </summary>
public sealed class PlatformOptionsValidator<T> : IValidateOptions<T> where T : class, IPlatformOptions
{
    public ValidateOptionsResult Validate(string? name, T options)
    {
        var failures = Failures(options, T.SectionName).ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static IEnumerable<string> Failures(object options, string path)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        foreach (var result in results)
        {
            var key = result.MemberNames.FirstOrDefault() is { } member ? $"{path}:{member}" : path;
            // Our own messages already name their key; the framework's say "The field X …".
            yield return result.ErrorMessage?.StartsWith(key, StringComparison.Ordinal) == true ? result.ErrorMessage : $"{key}: {result.ErrorMessage}";
        }
        foreach (var property in options.GetType().GetProperties().Where(p => p.CanRead && IsSettings(p.PropertyType)))
        {
            if (property.GetValue(options) is { } nested)
                foreach (var failure in Failures(nested, $"{path}:{property.Name}"))
                    yield return failure;
        }
    }

    private static bool IsSettings(Type type) =>
        type.IsClass && type != typeof(string) && type.Namespace?.StartsWith("Platform.", StringComparison.Ordinal) == true;
}
