using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CriticBot.GitHub;
using CriticBot.Intake;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace CriticBot.Setup;

/// <summary>Why the manifest code could not be turned into a registered App: one line for the page.</summary>
public sealed class AppRegistrationException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Whether the service has a GitHub App, and the first-run registration through GitHub's manifest flow: one-time
/// <c>state</c> values for the form, the code exchange (POST /app-manifests/{code}/conversions on the configured
/// API), the registration file, and the switch to the new App without a restart (the live
/// <see cref="GitHubAppOptions"/> take the id and key; intake takes the webhook secret from here).
/// </summary>
public sealed partial class AppSetup : IDisposable
{
    public const string AdminTokenSetting = "CRITICBOT_ADMIN_TOKEN";
    public const string AdminCookie = "criticbot_admin";

    private static readonly TimeSpan StateLifetime = TimeSpan.FromMinutes(30);
    private const int MaxOutstandingStates = 64;

    private readonly GitHubAppOptions _gitHub;
    private readonly IOptions<WebhookOptions> _webhook;
    private readonly TimeProvider _time;
    private readonly ILogger<AppSetup> _logger;
    private readonly HttpClient _http;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, DateTimeOffset> _states = new(StringComparer.Ordinal);
    private readonly string? _adminToken;
    private volatile string? _registeredSecret;

    public AppSetup(GitHubAppOptions gitHub, IOptions<WebhookOptions> webhook, IConfiguration configuration, TimeProvider time, ILogger<AppSetup> logger,
        HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        _gitHub = gitHub ?? throw new ArgumentNullException(nameof(gitHub));
        _webhook = webhook ?? throw new ArgumentNullException(nameof(webhook));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _http = new HttpClient(handler ?? new SocketsHttpHandler(), disposeHandler: true) { Timeout = TimeSpan.FromSeconds(30) };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("CriticBot", "1"));
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.github+json"));
        _adminToken = string.IsNullOrWhiteSpace(configuration[AdminTokenSetting]) ? null : configuration[AdminTokenSetting]!.Trim();
        RegistrationFile = AppRegistrationFile.PathFor(configuration);
        PublicUrl = Uri.TryCreate(configuration["CRITICBOT_PUBLIC_URL"], UriKind.Absolute, out var publicUrl) ? publicUrl : null;
        WebhookProxyUrl = Uri.TryCreate(configuration["CRITICBOT_WEBHOOK_PROXY_URL"], UriKind.Absolute, out var proxy) ? proxy : null;
        try
        {
            Registration = AppRegistrationFile.Read(RegistrationFile) is { } saved && saved.AppId == gitHub.AppId ? saved : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            // Only an App set in the environment gets here with a bad file: the file is not in use.
            Registration = null;
        }
    }

    /// <summary>The App's id and key are known and intake has a webhook secret.</summary>
    public bool IsRegistered => _gitHub.IsRegistered && !string.IsNullOrEmpty(WebhookSecret);

    public long AppId => _gitHub.AppId;

    public Uri ApiUrl => _gitHub.ApiUrl;

    /// <summary>The secret intake checks signatures with: the registered one, else GITHUB_WEBHOOK_SECRET.</summary>
    public string WebhookSecret => _registeredSecret ?? _webhook.Value.Secret;

    /// <summary>The App registered through this page (or read from the file at start-up); null for an App set in the environment.</summary>
    public AppRegistration? Registration { get; private set; }

    public string RegistrationFile { get; }

    public bool AdminTokenConfigured => _adminToken is not null;

    /// <summary>CRITICBOT_PUBLIC_URL: the address GitHub reaches this service at (else the request's own).</summary>
    public Uri? PublicUrl { get; }

    /// <summary>CRITICBOT_WEBHOOK_PROXY_URL: a webhook proxy channel (smee) to put in the manifest as the webhook URL.</summary>
    public Uri? WebhookProxyUrl { get; }

    /// <summary>
    /// May this request do more than look (register the App)? With CRITICBOT_ADMIN_TOKEN: the token as a bearer
    /// header or the login cookie. Without it: only from this machine (a laptop's first run).
    /// </summary>
    public bool IsAdmin(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (_adminToken is null)
            return context.Connection.RemoteIpAddress is { } remote && IPAddress.IsLoopback(remote);
        var authorization = context.Request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.Ordinal) && FixedTimeEquals(authorization["Bearer ".Length..].Trim(), _adminToken))
            return true;
        return context.Request.Cookies.TryGetValue(AdminCookie, out var cookie) && FixedTimeEquals(cookie, SessionValue());
    }

    /// <summary>Checks a token typed into the login form; on success returns the cookie value that stands for it.</summary>
    public string? Login(string? token) =>
        _adminToken is not null && token is not null && FixedTimeEquals(token.Trim(), _adminToken) ? SessionValue() : null;

    /// <summary>A one-time value for the manifest form; the callback must bring it back.</summary>
    public string IssueState()
    {
        var state = Convert.ToHexString(RandomNumberGenerator.GetBytes(20)).ToLowerInvariant();
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            foreach (var expired in _states.Where(s => s.Value < now).Select(s => s.Key).ToList())
                _states.Remove(expired);
            if (_states.Count >= MaxOutstandingStates)
                _states.Remove(_states.MinBy(s => s.Value).Key);
            _states[state] = now + StateLifetime;
        }

        return state;
    }

    /// <summary>
    /// The callback: checks the state (once), trades the code for the App's credentials, saves them owner-only
    /// and switches to the new App. Throws <see cref="AppRegistrationException"/> with a line for the page.
    /// </summary>
    public async Task<AppRegistration> CompleteAsync(string? code, string? state, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(state) || !TakeState(state))
            throw new AppRegistrationException("This registration link is unknown or expired: start again from the home page.");
        if (IsRegistered)
            throw new AppRegistrationException("A GitHub App is already registered.");
        if (string.IsNullOrEmpty(code) || code.Length > 100 || !code.All(char.IsAsciiLetterOrDigit))
            throw new AppRegistrationException("GitHub did not send a usable code.");

        var url = new Uri(GitHubAppOptions.ToBaseAddress(_gitHub.ApiUrl), $"app-manifests/{Uri.EscapeDataString(code)}/conversions");
        ConversionResponse? converted;
        try
        {
            using var response = await _http.PostAsync(url, content: null, ct);
            if (!response.IsSuccessStatusCode)
                throw new AppRegistrationException($"GitHub answered {(int)response.StatusCode} when the code was exchanged; the code may have expired (it lives an hour): start again.");
            converted = await response.Content.ReadFromJsonAsync<ConversionResponse>(ct);
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            throw new AppRegistrationException($"GitHub could not be asked for the new App's credentials ({ex.GetType().Name}).", ex);
        }

        if (converted is not { Id: > 0, WebhookSecret: { Length: > 0 }, Pem: { Length: > 0 } })
            throw new AppRegistrationException("GitHub's answer lacked the App id, webhook secret or private key.");
        if (GitHubAppJwt.CheckPrivateKey(converted.Pem, "the new App's private key") is { } keyProblem)
            throw new AppRegistrationException(keyProblem);

        var registration = new AppRegistration
        {
            AppId = converted.Id,
            Slug = converted.Slug,
            HtmlUrl = converted.HtmlUrl,
            Owner = converted.Owner?.Login,
            WebhookSecret = converted.WebhookSecret,
            PrivateKeyPem = converted.Pem,
            RegisteredAt = _time.GetUtcNow(),
        };
        try
        {
            AppRegistrationFile.Write(RegistrationFile, registration);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new AppRegistrationException($"The App was created on GitHub but could not be saved to {RegistrationFile} ({ex.Message}); fix the directory and register again.", ex);
        }

        // Key first, then the secret: intake opens (IsRegistered) only once the whole App is usable.
        lock (_gate)
        {
            _gitHub.PrivateKeySource = $"{AppRegistrationFile.PathSetting} ({RegistrationFile})";
            _gitHub.PrivateKeyPem = registration.PrivateKeyPem;
            _gitHub.AppId = registration.AppId;
            Registration = registration;
            _registeredSecret = registration.WebhookSecret;
        }

        LogRegistered(_logger, registration.AppId, registration.Slug, RegistrationFile);
        return registration;
    }

    /// <summary>For the home page's probes (GitHub, the model): short calls with their own timeouts.</summary>
    internal HttpClient Http => _http;

    public void Dispose() => _http.Dispose();

    private bool TakeState(string state)
    {
        lock (_gate)
            return _states.Remove(state, out var expires) && expires >= _time.GetUtcNow();
    }

    // The cookie holds an HMAC of the token, not the token itself.
    private string SessionValue() =>
        Convert.ToHexString(HMACSHA256.HashData(Encoding.UTF8.GetBytes(_adminToken!), "criticbot admin session"u8)).ToLowerInvariant();

    private static bool FixedTimeEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(a)), SHA256.HashData(Encoding.UTF8.GetBytes(b)));

    [LoggerMessage(Level = LogLevel.Information, Message = "Registered GitHub App {AppId} ({Slug}); its credentials are saved in {Path}")]
    private static partial void LogRegistered(ILogger logger, long appId, string? slug, string path);

    private sealed record ConversionResponse
    {
        [System.Text.Json.Serialization.JsonPropertyName("id")] public long Id { get; init; }
        [System.Text.Json.Serialization.JsonPropertyName("slug")] public string? Slug { get; init; }
        [System.Text.Json.Serialization.JsonPropertyName("html_url")] public string? HtmlUrl { get; init; }
        [System.Text.Json.Serialization.JsonPropertyName("owner")] public ConversionOwner? Owner { get; init; }
        [System.Text.Json.Serialization.JsonPropertyName("webhook_secret")] public string? WebhookSecret { get; init; }
        [System.Text.Json.Serialization.JsonPropertyName("pem")] public string? Pem { get; init; }
    }

    private sealed record ConversionOwner([property: System.Text.Json.Serialization.JsonPropertyName("login")] string? Login);
}
