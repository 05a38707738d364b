using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace CriticBot.Export;

/// <summary>
/// Rater logins as keyed-hash pseudonyms: <c>rater-</c> and the first 16 hex digits of HMAC-SHA256(key, lower-case
/// login). The key is <c>CRITICBOT_EXPORT_SALT</c> or one generated once and kept in the database, so the same person
/// has the same pseudonym in every export of that database, and nobody without the key can test a guessed login.
/// With <c>--raw-logins</c> (an operator exporting their own data) logins pass through unchanged.
/// </summary>
public sealed partial class Pseudonyms
{
    public const string SaltVariable = "CRITICBOT_EXPORT_SALT";
    public const string KeyName = "pseudonym_key";

    private readonly byte[]? _key;
    private readonly Dictionary<string, string> _cache = new(StringComparer.OrdinalIgnoreCase);

    private Pseudonyms(byte[]? key) => _key = key;

    public static Pseudonyms Keyed(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        return new Pseudonyms(Encoding.UTF8.GetBytes(key));
    }

    public static Pseudonyms Raw { get; } = new(null);

    public bool Pseudonymise => _key is not null;

    /// <summary>A fresh random key (256 bits, hex) for the database to keep.</summary>
    public static string NewKey() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    public string Of(string login)
    {
        ArgumentNullException.ThrowIfNull(login);
        if (_key is null)
        {
            return login;
        }

        if (!_cache.TryGetValue(login, out var pseudonym))
        {
            var hash = HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(login.ToLowerInvariant()));
            pseudonym = "rater-" + Convert.ToHexStringLower(hash.AsSpan(0, 8));
            if (_cache.Count < 100_000)
            {
                _cache[login] = pseudonym;
            }
        }

        return pseudonym;
    }

    public string? OfNullable(string? login) => login is null ? null : Of(login);

    /// <summary>
    /// Human text (a reply, a missed bug's description) with every @mention replaced by the mentioned login's
    /// pseudonym, so a reply that names someone does not undo the pseudonyms. Other text is left as written.
    /// </summary>
    public string? Scrub(string? text) =>
        text is null || _key is null || !text.Contains('@', StringComparison.Ordinal)
            ? text
            : Mention().Replace(text, match => "@" + Of(match.Groups[1].Value));

    // A GitHub login: alphanumerics and single hyphens, at most 39 characters; not inside an e-mail address or a word.
    // Bounded repetition, no nested quantifiers: linear, and the timeout guards the rest.
    [GeneratedRegex(@"(?<![A-Za-z0-9_.+-])@([A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38})(?![A-Za-z0-9])",
        RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex Mention();
}
