using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using CriticBot.Hosting;
using CriticBot.Commands;
using CriticBot.Setup;
using CriticBot.Storage;
using CriticBot.Tests.EndToEnd;
using CriticBot.Tests.Fixtures;
using Microsoft.Extensions.Configuration;

namespace CriticBot.Tests.Setup;

/// <summary>
/// `criticbot serve` with no GitHub App configured: it starts, refuses deliveries with 503, and its home page
/// registers an App through GitHub's manifest flow (served by the simulator) and carries on without a restart.
/// </summary>
public sealed partial class FirstRunTests
{
    /// <summary>No App setting at all: the harness's simulator and model, nothing else.</summary>
    private static Dictionary<string, string?> Unconfigured(ReviewHarness h, params (string Key, string? Value)[] extra)
    {
        var settings = h.ServiceSettings();
        settings["GITHUB_APP_ID"] = null;
        settings["GITHUB_PRIVATE_KEY"] = null;
        settings["GITHUB_WEBHOOK_SECRET"] = null;
        foreach (var (key, value) in extra)
            settings[key] = value;
        return settings;
    }

    private static HttpClient Browser(Uri baseAddress) =>
        new(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true }) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };

    [Fact]
    public async Task With_no_App_serve_starts_refuses_deliveries_and_registers_one_from_its_home_page_without_a_restart()
    {
        await using var h = await ReviewHarness.StartAsync(startService: false);
        await using var service = await TestService.StartAsync(h.Database, settings: Unconfigured(h));

        // Deliveries are refused with a clear 503 until an App exists.
        using (var refused = await service.SendAsync("pull_request", GitHubPayloads.PullRequest("opened")))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Contains("register", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // The home page shows the setup state and, to the operator on this machine, the registration form.
        using var browser = Browser(service.Client.BaseAddress!);
        var home = await browser.GetStringAsync(new Uri("/", UriKind.Relative));
        Assert.Contains("not registered", home, StringComparison.Ordinal);
        Assert.Contains("<td>reachable</td>", home, StringComparison.Ordinal);
        Assert.Contains($"critic-test at {h.Model.BaseUrl.GetLeftPart(UriPartial.Authority)}: reachable", home, StringComparison.Ordinal);
        Assert.Contains("0 waiting, 0 in progress", home, StringComparison.Ordinal);
        var (action, manifestJson) = RegistrationForm(home);
        Assert.StartsWith(h.GitHub.ApiUrl + "settings/apps/new?state=", action, StringComparison.Ordinal);
        using (var manifest = JsonDocument.Parse(manifestJson))
        {
            var root = manifest.RootElement;
            Assert.Equal(service.Client.BaseAddress + "api/github/webhooks", root.GetProperty("hook_attributes").GetProperty("url").GetString());
            Assert.Equal(service.Client.BaseAddress + "setup/callback", root.GetProperty("redirect_url").GetString());
            Assert.Equal("write", root.GetProperty("default_permissions").GetProperty("pull_requests").GetString());
            Assert.Contains("pull_request", root.GetProperty("default_events").EnumerateArray().Select(e => e.GetString()));
        }

        // The browser posts the manifest to GitHub, which creates the App and redirects back with a code.
        var callback = await PostFormAsync(browser, action, manifestJson);
        Assert.StartsWith(service.Client.BaseAddress + "setup/callback?code=", callback, StringComparison.Ordinal);
        using (var done = await browser.GetAsync(new Uri(callback)))
        {
            Assert.Equal(HttpStatusCode.Redirect, done.StatusCode);
            Assert.Equal("/", done.Headers.Location?.ToString());
        }

        var created = Assert.Single(h.GitHub.ReceivedManifests);
        var secret = h.GitHub.WebhookSecretOf(created.AppId)!;
        var file = Path.Combine(h.Database.Directory, AppRegistrationFile.DefaultFileName);
        Assert.True(File.Exists(file));
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        var saved = AppRegistrationFile.Read(file)!;
        Assert.Equal((created.AppId, secret), (saved.AppId, saved.WebhookSecret));

        // The page now shows the App and its installations, and never a secret.
        h.GitHub.AddInstallation(ReviewHarness.InstallationId, "octo-org", appId: created.AppId);
        var registered = await browser.GetStringAsync(new Uri("/", UriKind.Relative));
        Assert.Contains($"registered (id {created.AppId}", registered, StringComparison.Ordinal);
        Assert.Contains("1: octo-org", registered, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, registered, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", registered, StringComparison.Ordinal);

        // Without a restart: a delivery signed with the new secret is reviewed with the new App's key.
        var body = GitHubPayloads.PullRequest("opened", ReviewHarness.Repository, ReviewHarness.Number, h.HeadSha, h.BaseSha);
        var deliveryId = Guid.NewGuid().ToString();
        using (var accepted = await service.SendAsync("pull_request", body, deliveryId, TestService.Sign(System.Text.Encoding.UTF8.GetBytes(body), secret)))
        {
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        }

        var record = await service.WaitForDeliveryAsync(deliveryId, d => d.Status is DeliveryStatus.Done or DeliveryStatus.Failed);
        Assert.Equal(DeliveryStatus.Done, record.Status);
        Assert.StartsWith("posted review", record.Outcome, StringComparison.Ordinal);
        Assert.Single(h.Reviews);

        // The old (unknown) secret is refused, and the state cannot be replayed.
        using (var forged = await service.SendAsync("pull_request", body))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        }

        using (var replay = await browser.GetAsync(new Uri(callback)))
        {
            Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
        }
    }

    [Fact]
    public async Task A_registered_App_is_read_back_from_its_file_after_a_restart()
    {
        await using var h = await ReviewHarness.StartAsync(startService: false);
        var pem = h.GitHub.RegisterApp(4711);
        AppRegistrationFile.Write(Path.Combine(h.Database.Directory, AppRegistrationFile.DefaultFileName),
            new AppRegistration { AppId = 4711, WebhookSecret = "saved-secret", PrivateKeyPem = pem, Slug = "criticbot" });

        await using var service = await TestService.StartAsync(h.Database, settings: Unconfigured(h), secret: "saved-secret");
        using var accepted = await service.SendAsync("pull_request", GitHubPayloads.PullRequest("closed"));
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var home = await service.Client.GetStringAsync(new Uri("/", UriKind.Relative));
        Assert.Contains("registered (id 4711, criticbot)", home, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_callback_with_an_unknown_state_is_refused_and_nothing_is_saved()
    {
        await using var h = await ReviewHarness.StartAsync(startService: false);
        await using var service = await TestService.StartAsync(h.Database, settings: Unconfigured(h));

        using var response = await service.Client.GetAsync(new Uri("/setup/callback?code=abc123&state=forged", UriKind.Relative));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("unknown or expired", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(h.Database.Directory, AppRegistrationFile.DefaultFileName)));
        Assert.DoesNotContain(h.GitHub.Requests, r => r.Path.Contains("app-manifests", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_an_admin_token_the_form_needs_signing_in_and_the_page_encodes_every_value()
    {
        await using var h = await ReviewHarness.StartAsync(startService: false);
        await using var service = await TestService.StartAsync(h.Database, settings: Unconfigured(h,
            ("CRITICBOT_ADMIN_TOKEN", "operator-token-123"), ("CRITICBOT_MODEL", "<script>alert(1)</script>")));
        using var browser = Browser(service.Client.BaseAddress!);

        using (var page = await browser.GetAsync(new Uri("/", UriKind.Relative)))
        {
            Assert.Equal("DENY", page.Headers.GetValues("X-Frame-Options").Single());
            Assert.Contains("frame-ancestors 'none'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        }

        var anonymous = await browser.GetStringAsync(new Uri("/", UriKind.Relative));
        Assert.DoesNotContain("name=\"manifest\"", anonymous, StringComparison.Ordinal);
        Assert.Contains("action=\"/setup/login\"", anonymous, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", anonymous, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;", anonymous, StringComparison.Ordinal);

        using (var wrong = await browser.PostAsync(new Uri("/setup/login", UriKind.Relative), new FormUrlEncodedContent([new("token", "guess")])))
        {
            Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        }

        using (var right = await browser.PostAsync(new Uri("/setup/login", UriKind.Relative), new FormUrlEncodedContent([new("token", "operator-token-123")])))
        {
            Assert.Equal(HttpStatusCode.Redirect, right.StatusCode);
            Assert.DoesNotContain("operator-token-123", string.Join(";", right.Headers.GetValues("Set-Cookie")), StringComparison.Ordinal);
        }

        var signedIn = await browser.GetStringAsync(new Uri("/?organization=octo-org", UriKind.Relative));
        var (action, _) = RegistrationForm(signedIn);
        Assert.StartsWith(h.GitHub.ApiUrl + "organizations/octo-org/settings/apps/new?state=", action, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_partly_configured_App_is_still_refused_at_start_up_naming_the_setting()
    {
        await using var h = await ReviewHarness.StartAsync(startService: false);
        var settings = Unconfigured(h, ("GITHUB_APP_ID", "12"));
        var stderr = new StringWriter();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        settings["CRITICBOT_DATABASE"] = h.Database.Path;

        var exit = await ServeCommand.RunAsync(["--urls", "http://127.0.0.1:0"], stderr, b => b.Configuration.AddInMemoryCollection(settings), stop.Token);

        Assert.Equal(2, exit);
        // Not the first run: the missing parts are named (the secret is checked first, then the key).
        Assert.Matches("^criticbot: (GITHUB_WEBHOOK_SECRET|GITHUB_PRIVATE_KEY)", stderr.ToString());
    }

    [Fact]
    public void The_manifest_in_deploy_matches_what_the_home_page_registers()
    {
        var path = Path.Combine(RepositoryRoot(), "deploy", "app-manifest.json");
        using var file = JsonDocument.Parse(File.ReadAllText(path));
        using var built = JsonDocument.Parse(AppManifest.Build(new Uri("https://criticbot.example.com/"), new Uri("https://criticbot.example.com/api/github/webhooks")));
        Assert.Equal(JsonSerializer.Serialize(built.RootElement.GetProperty("default_permissions")), JsonSerializer.Serialize(file.RootElement.GetProperty("default_permissions")));
        Assert.Equal(JsonSerializer.Serialize(built.RootElement.GetProperty("default_events")), JsonSerializer.Serialize(file.RootElement.GetProperty("default_events")));
        Assert.Equal(JsonSerializer.Serialize(built.RootElement.GetProperty("hook_attributes")), JsonSerializer.Serialize(file.RootElement.GetProperty("hook_attributes")));
    }

    [Fact]
    public async Task A_real_headless_browser_shows_the_setup_state_and_the_registration_button()
    {
        await using var h = await ReviewHarness.StartAsync(startService: false);
        await using var service = await TestService.StartAsync(h.Database, settings: Unconfigured(h, ("CRITICBOT_MODEL", "<b>bold</b>")));
        var chromium = new[] { "chromium", "chromium-browser", "google-chrome" }
            .Select(name => Environment.GetEnvironmentVariable("PATH")!.Split(':').Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists))
            .FirstOrDefault(path => path is not null);
        Assert.True(chromium is not null, "chromium is required (scripts/test.sh installs Debian's chromium package)");
        using var profile = new TestDatabase();

        var start = new System.Diagnostics.ProcessStartInfo(chromium!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            ArgumentList = { "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", $"--user-data-dir={profile.Directory}", "--dump-dom", service.Client.BaseAddress!.ToString() },
        };
        using var browser = System.Diagnostics.Process.Start(start)!;
        var dom = browser.StandardOutput.ReadToEndAsync();
        _ = browser.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await browser.WaitForExitAsync(timeout.Token);

        var html = await dom;
        Assert.Contains("<title>CriticBot</title>", html, StringComparison.Ordinal);
        Assert.Contains("not registered", html, StringComparison.Ordinal);
        Assert.Contains("Register the GitHub App on my account</button>", html, StringComparison.Ordinal);
        // The model name came from a setting: the browser shows it as text, never as markup.
        Assert.Contains("&lt;b&gt;bold&lt;/b&gt;", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>bold</b>", html, StringComparison.Ordinal);
    }

    internal static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "CriticBot.sln")))
            directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("repository root not found");
    }

    /// <summary>The registration form's target and its manifest, HTML-decoded as a browser would.</summary>
    internal static (string Action, string Manifest) RegistrationForm(string html)
    {
        var form = FormPattern().Match(html);
        Assert.True(form.Success, html);
        return (WebUtility.HtmlDecode(form.Groups["action"].Value), WebUtility.HtmlDecode(form.Groups["manifest"].Value));
    }

    /// <summary>POSTs the manifest form as a browser does; returns where GitHub redirects.</summary>
    private static async Task<string> PostFormAsync(HttpClient browser, string action, string manifest)
    {
        using var response = await browser.PostAsync(new Uri(action), new FormUrlEncodedContent([new("manifest", manifest)]));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return response.Headers.Location!.ToString();
    }

    [GeneratedRegex("<form id=\"register\" method=\"post\" action=\"(?<action>[^\"]+)\"><input type=\"hidden\" name=\"manifest\" value=\"(?<manifest>[^\"]+)\">")]
    private static partial Regex FormPattern();
}
