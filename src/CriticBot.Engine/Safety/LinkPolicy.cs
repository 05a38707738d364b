namespace CriticBot.Engine.Safety;

/// <summary>
/// Which link targets the bot may post: http(s) on the repository's own host and under the repository itself
/// (<c>https://HOST/OWNER/NAME/...</c>), and relative links that cannot climb out of the page. Everything else (other
/// hosts, protocol-relative <c>//host</c>, other schemes, other repositories on the same host) is refused, and so
/// are links to issues, pull requests and discussions: GitHub turns those into cross-references.
/// </summary>
public sealed class LinkPolicy
{
    private static readonly string[] CrossReferenceKinds = ["issues", "pull", "pulls", "discussions"];

    private readonly string _host;
    private readonly string[]? _repository;

    /// <param name="host">The repository's host (github.com, or a GitHub Enterprise Server host).</param>
    /// <param name="repository">OWNER/NAME; null when unknown, and then no absolute link is allowed.</param>
    public LinkPolicy(string? host, string? repository)
    {
        _host = string.IsNullOrWhiteSpace(host) ? "github.com" : host.Trim().ToLowerInvariant();
        var parts = repository?.Trim().Split('/', StringSplitOptions.RemoveEmptyEntries);
        _repository = parts is { Length: 2 } ? parts : null;
    }

    public bool Allows(string? url)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            return false;
        }

        var target = url.Trim();
        if (target.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '\\' or '<' or '>' or '"')
            || target.Contains("%2e", StringComparison.OrdinalIgnoreCase)
            || target.Contains("%2f", StringComparison.OrdinalIgnoreCase)
            || target.Contains("%5c", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (target.StartsWith("www.", StringComparison.OrdinalIgnoreCase))
        {
            target = "https://" + target;
        }

        var beforePath = target.IndexOfAny(['/', '?', '#']);
        var schemeEnd = target.IndexOf(':', StringComparison.Ordinal);
        if (schemeEnd >= 0 && (beforePath < 0 || schemeEnd < beforePath))
        {
            return AllowsAbsolute(target);
        }

        // Relative: resolved against the comment's page, which is under the repository. "/x" and "//x" leave it.
        return !target.StartsWith('/') && !HasDotSegment(target);
    }

    private bool AllowsAbsolute(string target)
    {
        if (_repository is null
            || !Uri.TryCreate(target, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
            || !string.Equals(uri.Host, _host, StringComparison.OrdinalIgnoreCase)
            || !uri.IsDefaultPort
            || uri.UserInfo.Length > 0
            || HasDotSegment(target))
        {
            return false;
        }

        var segments = uri.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length < 2
            || !string.Equals(segments[0], _repository[0], StringComparison.OrdinalIgnoreCase)
            || !string.Equals(segments[1], _repository[1], StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        // OWNER/NAME/issues/12, /pull/12, /discussions/12: a cross-reference, which notifies that thread.
        return !(segments.Length >= 4
            && CrossReferenceKinds.Contains(segments[2], StringComparer.OrdinalIgnoreCase)
            && segments[3].Length > 0 && char.IsAsciiDigit(segments[3][0]));
    }

    private static bool HasDotSegment(string target)
    {
        var end = target.IndexOfAny(['?', '#']);
        var path = end < 0 ? target : target[..end];
        return path.Split('/').Any(segment => segment is "." or "..");
    }
}
