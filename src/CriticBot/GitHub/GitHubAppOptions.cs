using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace CriticBot.GitHub;

/// <summary>The GitHub App's identity and where its API lives.</summary>
public sealed class GitHubAppOptions
{
    public const string AppIdSetting = "GITHUB_APP_ID";
    public const string PrivateKeyPathSetting = "GITHUB_PRIVATE_KEY_PATH";
    public const string PrivateKeySetting = "GITHUB_PRIVATE_KEY";
    public const string ApiUrlSetting = "GITHUB_API_URL";

    public static Uri GitHubComApiUrl { get; } = new("https://api.github.com/");

    public long AppId { get; set; }

    /// <summary>The App's private key, PEM: PKCS#1 (<c>BEGIN RSA PRIVATE KEY</c>, as GitHub issues it) or PKCS#8.</summary>
    public string PrivateKeyPem { get; set; } = "";

    /// <summary>
    /// The REST API root: <c>https://api.github.com</c>, or <c>https://HOST/api/v3</c> for GitHub Enterprise Server.
    /// Used as given (with a trailing slash added): Octokit's own <c>/api/v3/</c> guessing is bypassed.
    /// </summary>
    public Uri ApiUrl { get; set; } = GitHubComApiUrl;

    /// <summary><c>CRITICBOT_ALLOW_INSECURE_HTTP=true</c>: a plain http:// <see cref="ApiUrl"/> off loopback is allowed.</summary>
    public bool AllowInsecureHttp { get; set; }

    /// <summary>Which setting the key came from, so errors name the right one.</summary>
    public string PrivateKeySource { get; set; } = PrivateKeySetting;

    /// <summary>Reads the flat GITHUB_* settings; throws <see cref="GitHubConfigurationException"/> with one line on the first problem.</summary>
    public static GitHubAppOptions Load(IConfiguration configuration) =>
        TryLoad(configuration, out var options, out var error) ? options : throw new GitHubConfigurationException(error);

    public static bool TryLoad(IConfiguration configuration, [NotNullWhen(true)] out GitHubAppOptions? options, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        options = null;

        var appIdText = configuration[AppIdSetting];
        if (string.IsNullOrWhiteSpace(appIdText))
        {
            error = $"{AppIdSetting} is not set (the GitHub App's numeric id).";
            return false;
        }
        if (!long.TryParse(appIdText.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var appId) || appId <= 0)
        {
            error = $"{AppIdSetting} must be a positive integer, got '{appIdText}'.";
            return false;
        }

        string pem, source;
        var keyPath = configuration[PrivateKeyPathSetting];
        var inlineKey = configuration[PrivateKeySetting];
        if (!string.IsNullOrWhiteSpace(keyPath))
        {
            source = PrivateKeyPathSetting;
            try
            {
                pem = File.ReadAllText(keyPath.Trim());
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                error = $"{PrivateKeyPathSetting}: cannot read '{keyPath}': {ex.Message}";
                return false;
            }
        }
        else if (!string.IsNullOrWhiteSpace(inlineKey))
        {
            source = PrivateKeySetting;
            // Environment variables often carry the PEM with literal "\n" for its line breaks.
            pem = inlineKey.Replace("\\n", "\n", StringComparison.Ordinal);
        }
        else
        {
            error = $"{PrivateKeyPathSetting} or {PrivateKeySetting} must be set (the GitHub App's private key, PEM).";
            return false;
        }

        var apiUrlText = configuration[ApiUrlSetting];
        Uri apiUrl = GitHubComApiUrl;
        if (!string.IsNullOrWhiteSpace(apiUrlText)
            && (!Uri.TryCreate(apiUrlText.Trim(), UriKind.Absolute, out apiUrl!) || apiUrl.Scheme is not ("https" or "http")))
        {
            error = $"{ApiUrlSetting} must be an absolute http(s) URL such as https://api.github.com or https://HOST/api/v3, got '{apiUrlText}'.";
            return false;
        }

        if (!Engine.InsecureHttp.TryReadAllow(configuration[Engine.InsecureHttp.AllowVariable], out var allowInsecureHttp, out var allowError))
        {
            error = allowError!;
            return false;
        }

        var candidate = new GitHubAppOptions
        {
            AppId = appId, PrivateKeyPem = pem, ApiUrl = apiUrl, PrivateKeySource = source, AllowInsecureHttp = allowInsecureHttp,
        };
        error = candidate.Validate();
        if (error is not null)
            return false;
        options = candidate;
        return true;
    }

    public const string WebhookSecretSetting = "GITHUB_WEBHOOK_SECRET";

    /// <summary>True while no App is registered (first run): <see cref="AppId"/> is 0 and there is no key yet.</summary>
    public bool IsRegistered => AppId > 0 && !string.IsNullOrEmpty(PrivateKeyPem);

    /// <summary>
    /// No part of a GitHub App is configured: no id, no key, no webhook secret. Then `criticbot serve` starts anyway
    /// and its home page offers to register one; a partly configured App is still refused, naming what is missing.
    /// </summary>
    public static bool IsNothingConfigured(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return new[] { AppIdSetting, PrivateKeyPathSetting, PrivateKeySetting, WebhookSecretSetting }.All(key => string.IsNullOrWhiteSpace(configuration[key]));
    }

    /// <summary>The options of an App not registered yet (only the API address), when nothing at all is configured.</summary>
    public static bool TryUnregistered(IConfiguration configuration, [NotNullWhen(true)] out GitHubAppOptions? options)
    {
        options = null;
        if (!IsNothingConfigured(configuration))
            return false;
        var apiUrlText = configuration[ApiUrlSetting];
        var apiUrl = GitHubComApiUrl;
        if (!string.IsNullOrWhiteSpace(apiUrlText)
            && (!Uri.TryCreate(apiUrlText.Trim(), UriKind.Absolute, out apiUrl!) || apiUrl.Scheme is not ("https" or "http")))
            return false;
        options = new GitHubAppOptions { ApiUrl = apiUrl, PrivateKeySource = "the registered App's private key" };
        return true;
    }

    /// <summary>GitHub's web side for an API root: api.github.com → https://github.com/; https://HOST/api/v3 → https://HOST/.</summary>
    public static Uri WebUrlOf(Uri apiUrl)
    {
        ArgumentNullException.ThrowIfNull(apiUrl);
        if (apiUrl.Host.Equals("api.github.com", StringComparison.OrdinalIgnoreCase))
            return new Uri("https://github.com/");
        var path = apiUrl.AbsolutePath.TrimEnd('/');
        if (path.EndsWith("/api/v3", StringComparison.OrdinalIgnoreCase))
            path = path[..^"/api/v3".Length];
        return new Uri(apiUrl.GetLeftPart(UriPartial.Authority) + path + "/");
    }

    /// <summary>One line naming the first wrong setting, or null when the options are usable.</summary>
    public string? Validate()
    {
        if (AppId <= 0)
            return $"{AppIdSetting} must be a positive integer, got '{AppId}'.";
        if (!ApiUrl.IsAbsoluteUri || ApiUrl.Scheme is not ("https" or "http"))
            return $"{ApiUrlSetting} must be an absolute http(s) URL, got '{ApiUrl}'.";
        if (Engine.InsecureHttp.Check(ApiUrl, ApiUrlSetting, AllowInsecureHttp) is { } insecure)
            return insecure;
        return GitHubAppJwt.CheckPrivateKey(PrivateKeyPem, PrivateKeySource);
    }

    /// <summary>The base address Octokit needs: the API root with a trailing slash, so relative paths land below it.</summary>
    public static Uri ToBaseAddress(Uri apiUrl)
    {
        ArgumentNullException.ThrowIfNull(apiUrl);
        var text = apiUrl.GetLeftPart(UriPartial.Path);
        return new Uri(text.EndsWith('/') ? text : text + "/");
    }
}
