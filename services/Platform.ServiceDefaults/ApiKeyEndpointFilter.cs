using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Platform.ServiceDefaults;

/// <summary>
/// Who may call an endpoint, checked by <see cref="ApiKeyEndpointFilter.UseEndpointAccess"/> before anything else runs:
/// <paramref name="Refusal"/> gives the answer for a request that may not (a 401 that says what to send, never the
/// key), or null.
/// </summary>
public sealed record EndpointAccess(Func<HttpContext, IResult?> Refusal)
{
    public static IResult Unauthorized(string hint) => Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized", detail: hint);
}

public static class ApiKeyEndpointFilter
{
    public const string HeaderName = "X-Api-Key";

    /// <summary>Answers 401 unless <c>X-Api-Key</c> equals one of the keys that <paramref name="keys"/> gives (compared in constant time).</summary>
    public static TBuilder RequireApiKey<TBuilder>(this TBuilder builder, Func<IServiceProvider, IEnumerable<string?>> keys)
        where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAccess(new EndpointAccess(http => keys(http.RequestServices).Any(key => KeysMatch(http.Request.Headers[HeaderName].ToString(), key))
            ? null
            : EndpointAccess.Unauthorized($"Send the API key in the {HeaderName} header.")));

    public static TBuilder RequireApiKey<TBuilder>(this TBuilder builder, Func<IServiceProvider, string?> key)
        where TBuilder : IEndpointConventionBuilder => builder.RequireApiKey(sp => [key(sp)]);

    public static TBuilder RequireAccess<TBuilder>(this TBuilder builder, EndpointAccess access) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(access);

    /// <summary>
    /// Checks each endpoint's <see cref="EndpointAccess"/> as soon as routing chose it: before its parameters are bound,
    /// so a request without a key is answered 401 without its body being read.
    /// </summary>
    public static IApplicationBuilder UseEndpointAccess(this IApplicationBuilder app) =>
        app.Use(async (http, next) =>
        {
            foreach (var access in http.GetEndpoint()?.Metadata.GetOrderedMetadata<EndpointAccess>() ?? [])
            {
                if (access.Refusal(http) is { } refusal)
                {
                    await refusal.ExecuteAsync(http);
                    return;
                }
            }
            await next(http);
        });

    public static bool KeysMatch(string? given, string? expected)
    {
        if (string.IsNullOrEmpty(given) || string.IsNullOrEmpty(expected))
            return false;
        // Hashing first makes the comparison independent of the keys' lengths.
        var a = SHA256.HashData(Encoding.UTF8.GetBytes(given));
        var b = SHA256.HashData(Encoding.UTF8.GetBytes(expected));
        return CryptographicOperations.FixedTimeEquals(a, b);
    }
}
