using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace CriticBot.GitHub;

/// <summary>
/// The App's RS256 JSON Web Token, which GitHub trades for installation tokens. Octokit makes none, so we sign it:
/// iat 60 s in the past (clock drift), exp 9 minutes ahead (GitHub allows at most 10). Reused until near expiry.
/// </summary>
public sealed class GitHubAppJwt : IDisposable
{
    private static readonly TimeSpan Backdate = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(9);
    private static readonly TimeSpan Reuse = TimeSpan.FromMinutes(7);

    private readonly GitHubAppOptions _options;
    private readonly Lock _gate = new();
    private (long AppId, string Pem, RSA Key)? _imported;
    private (string Token, DateTimeOffset IssuedAt)? _current;

    public GitHubAppJwt(long appId, string privateKeyPem, string setting = GitHubAppOptions.PrivateKeySetting)
        : this(new GitHubAppOptions { AppId = appId, PrivateKeyPem = privateKeyPem, PrivateKeySource = setting })
    {
        lock (_gate)
            _ = Key();
    }

    /// <summary>
    /// Reads the App id and key from <paramref name="options"/> when a token is first needed, and again after they
    /// change: an App registered through the first-run page (see src/CriticBot/Setup) is used without a restart.
    /// </summary>
    public GitHubAppJwt(GitHubAppOptions options)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
    }

    /// <summary>A token valid at <paramref name="now"/>; the same one is handed out for a few minutes.</summary>
    public string Create(DateTimeOffset now)
    {
        lock (_gate)
        {
            var (appId, key) = Key();
            if (_current is { } current && now - current.IssuedAt < Reuse && now >= current.IssuedAt)
                return current.Token;

            var header = Base64Url(Encoding.UTF8.GetBytes("""{"alg":"RS256","typ":"JWT"}"""));
            var payload = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new JwtClaims(
                (now - Backdate).ToUnixTimeSeconds(),
                (now + Lifetime).ToUnixTimeSeconds(),
                appId)));
            var signingInput = header + "." + payload;
            var signature = key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var token = signingInput + "." + Base64Url(signature);
            _current = (token, now);
            return token;
        }
    }

    /// <summary>One line naming <paramref name="setting"/> when the PEM is not a usable RSA private key; null when it is.</summary>
    public static string? CheckPrivateKey(string privateKeyPem, string setting)
    {
        try
        {
            using var key = ImportKey(privateKeyPem, setting);
            return null;
        }
        catch (GitHubConfigurationException ex)
        {
            return ex.Message;
        }
    }

    public void Dispose()
    {
        lock (_gate)
            _imported?.Key.Dispose();
    }

    /// <summary>The key for the options' current App id and PEM (imported again when they changed). Under the lock.</summary>
    private (long AppId, RSA Key) Key()
    {
        var (appId, pem) = (_options.AppId, _options.PrivateKeyPem);
        if (_imported is not { } imported || imported.AppId != appId || !ReferenceEquals(imported.Pem, pem) && imported.Pem != pem)
        {
            var key = ImportKey(pem, _options.PrivateKeySource);
            _imported?.Key.Dispose();
            _imported = (appId, pem, key);
            _current = null;
        }

        return (_imported.Value.AppId, _imported.Value.Key);
    }

    private static RSA ImportKey(string pem, string setting)
    {
        if (string.IsNullOrWhiteSpace(pem))
            throw new GitHubConfigurationException($"{setting}: the private key is empty.");
        var rsa = RSA.Create();
        try
        {
            // ImportFromPem reads both "BEGIN RSA PRIVATE KEY" (PKCS#1) and "BEGIN PRIVATE KEY" (PKCS#8).
            rsa.ImportFromPem(pem);
            if (rsa.KeySize < 2048)
                throw new GitHubConfigurationException($"{setting}: the RSA key has {rsa.KeySize} bits; GitHub App keys have at least 2048.");
            // A public key imports too, but cannot sign: find out now rather than at the first webhook.
            rsa.SignData([0], HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            return rsa;
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            rsa.Dispose();
            throw new GitHubConfigurationException(
                $"{setting}: not an RSA private key in PEM form (expected 'BEGIN RSA PRIVATE KEY' or 'BEGIN PRIVATE KEY').");
        }
        catch
        {
            rsa.Dispose();
            throw;
        }
    }

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private sealed record JwtClaims(
        [property: System.Text.Json.Serialization.JsonPropertyName("iat")] long IssuedAt,
        [property: System.Text.Json.Serialization.JsonPropertyName("exp")] long ExpiresAt,
        [property: System.Text.Json.Serialization.JsonPropertyName("iss")] long Issuer);
}
