using System.Security.Cryptography;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http.Features;
using System.Text;
using Microsoft.Extensions.Options;
using Platform.ServiceDefaults;

namespace Platform.History.Features.ShowDashboard;

/// <summary>
/// The dashboard's door: the access key once (a form, or <c>X-Api-Key</c> for scripts), then an HttpOnly cookie that
/// holds a keyed hash of it, never the key itself.
/// </summary>
public static class DashboardAccess
{
    public const string CookieName = "platform_dashboard";

    /// <summary>The dashboard's pages: a browser without the cookie is sent to sign in; a script gets 401.</summary>
    public static RouteGroupBuilder RequireDashboardAccess(this RouteGroupBuilder group) =>
        group.RequireAccess(new EndpointAccess(http => Refusal(http) is { } refusal
            ? http.Request.Method == HttpMethods.Get && !http.Request.Headers.ContainsKey(ApiKeyEndpointFilter.HeaderName) && refusal is not IStatusCodeHttpResult { StatusCode: 503 }
                ? Results.Redirect("/ui/sign-in?returnUrl=" + Uri.EscapeDataString(http.Request.Path + http.Request.QueryString))
                : refusal
            : null));

    /// <summary>History's JSON API reads the same data as the dashboard, so it opens with the same key (or cookie).</summary>
    public static TBuilder RequireHistoryReadAccess<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAccess(new EndpointAccess(Refusal));

    private static IResult? Refusal(HttpContext http)
    {
        var options = http.RequestServices.GetRequiredService<IOptions<DashboardOptions>>().Value;
        if (!options.Enabled)
            return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "No access key is set",
                detail: "Set Dashboard__AccessKey (or Dashboard__AllowAnonymous=true behind a reverse proxy that authenticates).");
        return options.AllowAnonymous || IsSignedIn(http.Request, options.AccessKey!)
            ? null
            : EndpointAccess.Unauthorized($"Send the dashboard's access key in the {ApiKeyEndpointFilter.HeaderName} header, or sign in at /ui.");
    }

    public const string SignInPolicy = "dashboard-sign-in";

    /// <summary>A sign-in form is a key and a path: anything larger is not one.</summary>
    public const int MaxSignInBytes = 4 * 1024;

    /// <summary>Ten tries a minute per client address: enough for people, too few to guess a key.</summary>
    public static RateLimitPartition<string> SignInLimit(HttpContext http) =>
        RateLimitPartition.GetFixedWindowLimiter(http.Connection.RemoteIpAddress?.ToString() ?? "", _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = 10, Window = TimeSpan.FromMinutes(1), QueueLimit = 0,
        });

    public static async Task<IResult> SignInAsync(HttpContext http, IOptions<DashboardOptions> options)
    {
        if (http.Request.ContentLength is null or > MaxSignInBytes || !http.Request.HasFormContentType)
            return Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Not a sign-in form",
                detail: $"Send the key as a form of at most {MaxSignInBytes} bytes.");
        var form = await http.Request.ReadFormAsync(new FormOptions { ValueLengthLimit = MaxSignInBytes, ValueCountLimit = 4 }, http.RequestAborted);
        var returnUrl = SafeReturnUrl(form["returnUrl"]);
        if (options.Value.AccessKey is not { Length: > 0 } expected || !ApiKeyEndpointFilter.KeysMatch(form["key"].ToString(), expected))
            return Results.Redirect("/ui/sign-in?failed=true&returnUrl=" + Uri.EscapeDataString(returnUrl));
        http.Response.Cookies.Append(CookieName, SessionToken(expected), new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = http.Request.IsHttps,
            Path = "/ui",
            MaxAge = TimeSpan.FromDays(30),
        });
        return Results.Redirect(returnUrl);
    }

    /// <summary>Only paths within the dashboard: a sign-in link must not send anyone elsewhere.</summary>
    public static string SafeReturnUrl(string? returnUrl) =>
        returnUrl is { Length: > 0 } url && url.StartsWith("/ui", StringComparison.Ordinal) && !url.StartsWith("//", StringComparison.Ordinal) && !url.Contains('\\')
            ? url
            : "/ui";

    private static bool IsSignedIn(HttpRequest request, string key) =>
        ApiKeyEndpointFilter.KeysMatch(request.Headers[ApiKeyEndpointFilter.HeaderName].ToString(), key)
        || (request.Cookies.TryGetValue(CookieName, out var cookie) && ApiKeyEndpointFilter.KeysMatch(cookie, SessionToken(key)));

    private static string SessionToken(string key) =>
        Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), "platform-dashboard-session"u8));
}
