using Platform.ServiceDefaults;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Platform.ServiceDefaults;

/// <summary>
/// Marks a task we launched in RunTask's <c>startedBy</c> (ECS allows 36 characters): <c>platform/&lt;chain&gt;/&lt;attempt&gt;</c>.
/// A failure of our relaunch carries it back, so it continues its chain instead of starting a new one.
/// </summary>
public static partial class RelaunchMarker
{
    public static string Format(string chain, int attempt) => $"platform/{chain}/{attempt}";

    public static bool TryParse(string? startedBy, out string chain, out int attempt)
    {
        var match = startedBy is null ? null : Marker().Match(startedBy);
        chain = match?.Success == true ? match.Groups[1].Value : "";
        attempt = match?.Success == true ? int.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
        return match?.Success == true;
    }

    /// <summary>
    /// The chain and attempt of a run: from our marker for a relaunch; otherwise attempt 1 of the chain its own
    /// relaunches get (derived from the run, so history and retry name it alike).
    /// </summary>
    public static (string Chain, int Attempt) ChainOf(string runId, string? startedBy) =>
        TryParse(startedBy, out var chain, out var attempt) ? (chain, attempt) : (NewChain(runId), 1);

    /// <summary>A new chain's id, derived from the failed launch it starts from, so a redelivered failure finds the same chain.</summary>
    public static string NewChain(string runId) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(runId)))[..16];

    [GeneratedRegex("^platform/([0-9a-f]{16})/([0-9]{1,3})$")]
    private static partial Regex Marker();
}
