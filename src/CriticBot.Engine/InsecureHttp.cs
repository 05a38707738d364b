namespace CriticBot.Engine;

/// <summary>
/// Keys and installation tokens travel to the GitHub API and the model: over plain http:// anyone on the path can
/// read them. Plain http is therefore refused except on loopback (a local model server, a test double), unless
/// <c>CRITICBOT_ALLOW_INSECURE_HTTP=true</c> says the operator accepts it (e.g. a private network).
/// </summary>
public static class InsecureHttp
{
    public const string AllowVariable = "CRITICBOT_ALLOW_INSECURE_HTTP";

    /// <summary>Reads the switch: unset or "false" → false, "true" → true; anything else is an error line.</summary>
    public static bool TryReadAllow(string? value, out bool allow, out string? error)
    {
        error = null;
        allow = false;
        if (string.IsNullOrWhiteSpace(value))
        {
            return true;
        }

        if (bool.TryParse(value.Trim(), out allow))
        {
            return true;
        }

        error = $"{AllowVariable} must be true or false, not '{value.Trim()}'.";
        return false;
    }

    /// <summary>Null when <paramref name="url"/> may be used; otherwise one line naming <paramref name="setting"/>.</summary>
    public static string? Check(Uri url, string setting, bool allowInsecure)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!url.IsAbsoluteUri || url.Scheme != Uri.UriSchemeHttp || allowInsecure || url.IsLoopback)
        {
            return null;
        }

        return $"{setting} is a plain http:// URL to {url.Host}, which is not loopback: keys and tokens would travel unencrypted. "
            + $"Use https://, or set {AllowVariable}=true to allow it.";
    }
}
