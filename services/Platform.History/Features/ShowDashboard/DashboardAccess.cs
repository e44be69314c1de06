using System.Security.Cryptography;
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

    public static RouteGroupBuilder RequireDashboardAccess(this RouteGroupBuilder group) =>
        group.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var options = http.RequestServices.GetRequiredService<IOptions<DashboardOptions>>().Value;
            if (!options.Enabled)
                return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "The dashboard is off",
                    detail: "Set Dashboard__AccessKey (or Dashboard__AllowAnonymous=true behind a reverse proxy that authenticates).");
            if (options.AllowAnonymous || IsSignedIn(http.Request, options.AccessKey!))
                return await next(context);
            return http.Request.Method == HttpMethods.Get && !http.Request.Headers.ContainsKey(ApiKeyEndpointFilter.HeaderName)
                ? Results.Redirect("/ui/sign-in?returnUrl=" + Uri.EscapeDataString(http.Request.Path + http.Request.QueryString))
                : Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized", detail: "Sign in to the dashboard first.");
        });

    public static async Task<IResult> SignInAsync(HttpContext http, IOptions<DashboardOptions> options)
    {
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
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
