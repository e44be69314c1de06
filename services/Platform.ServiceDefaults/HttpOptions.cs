using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;

namespace Platform.ServiceDefaults;

/// <summary>
/// HTTP settings every service shares. Which hosts are served is ASP.NET Core's own <c>AllowedHosts</c>
/// (e.g. <c>localhost;127.0.0.1;history</c>); these add the proxies whose <c>X-Forwarded-For</c> and
/// <c>X-Forwarded-Proto</c> are believed.
/// </summary>
public sealed class HttpOptions : IPlatformOptions, System.ComponentModel.DataAnnotations.IValidatableObject
{
    public static string SectionName => "Http";

    /// <summary>Addresses (<c>10.0.0.5</c>) or networks (<c>10.0.0.0/16</c>) of the reverse proxies in front of the service.</summary>
    public List<string> TrustedProxies { get; set; } = [];

    public ForwardedHeadersOptions? ForwardedHeaders()
    {
        if (TrustedProxies.Count == 0)
            return null;
        var options = new ForwardedHeadersOptions { ForwardedHeaders = Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedFor | Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedProto };
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        foreach (var proxy in TrustedProxies)
        {
            if (proxy.Contains('/'))
                options.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(proxy));
            else
                options.KnownProxies.Add(IPAddress.Parse(proxy));
        }
        return options;
    }

    public IEnumerable<System.ComponentModel.DataAnnotations.ValidationResult> Validate(System.ComponentModel.DataAnnotations.ValidationContext validationContext) =>
        TrustedProxies.Where(p => !(p.Contains('/') ? System.Net.IPNetwork.TryParse(p, out _) : IPAddress.TryParse(p, out _)))
            .Select(p => new System.ComponentModel.DataAnnotations.ValidationResult(
                $"Http:TrustedProxies: '{p}' is neither an IP address nor a network such as 10.0.0.0/16.", [nameof(TrustedProxies)]));
}
