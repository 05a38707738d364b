using System.Text.RegularExpressions;

namespace CriticBot.Inbox;

/// <summary>
/// Turns an exception into the reason stored with a delivery: type and message only (no stack), credentials
/// masked, bounded length. Stored reasons end up in logs and dashboards, so they must hold no secrets.
/// </summary>
public static partial class FailureReason
{
    private const int MaxLength = 1000;

    public static string From(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var message = exception is PermanentDeliveryException ? exception.Message : $"{exception.GetType().Name}: {exception.Message}";
        return Redact(message);
    }

    public static string Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string redacted;
        try
        {
            redacted = SecretPattern().Replace(text, match => match.Groups["keep"].Value + "***");
        }
        catch (RegexMatchTimeoutException)
        {
            // Text built to make the pattern slow: nothing of it is kept, since it could not be checked for secrets.
            return "(reason withheld: it could not be checked for secrets in time)";
        }

        return redacted.Length <= MaxLength ? redacted : string.Concat(redacted.AsSpan(0, MaxLength), "…");
    }

    // GitHub tokens (ghp_, ghs_, gho_, ghu_, ghr_, github_pat_), OpenAI-style keys, bearer/token auth values,
    // credentials in URLs, private key blocks, and key=value pairs that look secret.
    [GeneratedRegex(
        @"(?<keep>)\b(?:gh[psour]_[A-Za-z0-9]{16,}|github_pat_[A-Za-z0-9_]{20,}|sk-[A-Za-z0-9_\-]{16,})"
        + @"|(?<keep>\b(?:Bearer|token|Basic)\s+)[A-Za-z0-9._~+/=\-]{8,}"
        + @"|(?<keep>://[^/\s:@]+:)[^/\s@]+(?=@)"
        + @"|(?<keep>)-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)"
        + @"|(?<keep>\b(?:secret|password|api[_-]?key|access_token|client_secret)[""']?\s*[=:]\s*[""']?)[^\s""'&,;]{4,}",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex SecretPattern();
}
