using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Platform.ServiceDefaults;

public static class ApiKeyEndpointFilter
{
    public const string HeaderName = "X-Api-Key";

    /// <summary>Answers 401 unless <c>X-Api-Key</c> equals the key that <paramref name="expectedKey"/> gives (compared in constant time).</summary>
    public static TBuilder RequireApiKey<TBuilder>(this TBuilder builder, Func<IServiceProvider, string> expectedKey)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var expected = expectedKey(context.HttpContext.RequestServices);
            var given = context.HttpContext.Request.Headers[HeaderName].ToString();
            if (!KeysMatch(given, expected))
                return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized",
                    detail: $"Send the API key in the {HeaderName} header.");
            return await next(context);
        });

    public static bool KeysMatch(string given, string expected)
    {
        if (string.IsNullOrEmpty(given) || string.IsNullOrEmpty(expected))
            return false;
        // Hashing first makes the comparison independent of the keys' lengths.
        var a = SHA256.HashData(Encoding.UTF8.GetBytes(given));
        var b = SHA256.HashData(Encoding.UTF8.GetBytes(expected));
        return CryptographicOperations.FixedTimeEquals(a, b);
    }
}
