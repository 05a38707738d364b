using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using CriticBot.GitHub;
using CriticBot.Intake;
using CriticBot.Observability;
using CriticBot.Reviews;
using CriticBot.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace CriticBot.Setup;

/// <summary>What the home page shows: facts only, never a secret.</summary>
public sealed record SetupStatus
{
    public required bool AppRegistered { get; init; }
    public long AppId { get; init; }
    public string? AppSlug { get; init; }
    public string? AppHtmlUrl { get; init; }
    /// <summary>Accounts the App is installed on; null when GitHub could not be asked.</summary>
    public IReadOnlyList<string>? Installations { get; init; }
    public required bool DatabaseReachable { get; init; }
    public required string ModelName { get; init; }
    public required string ModelEndpoint { get; init; }
    /// <summary>The HTTP status the model server gave for GET /models, or null when it did not answer.</summary>
    public int? ModelStatus { get; init; }
    public InboxSnapshot? Inbox { get; init; }
}

/// <summary>
/// GET / (setup state, and the registration form for the operator), POST /setup/login (the operator's token),
/// GET /setup/callback (GitHub's redirect after the App was created). Every value on a page is HTML-encoded.
/// </summary>
public static class SetupEndpoints
{
    public const string CallbackPath = "/setup/callback";
    public const string LoginPath = "/setup/login";
    private static readonly HtmlEncoder Html = HtmlEncoder.Default;

    public static IEndpointRouteBuilder MapSetup(this IEndpointRouteBuilder endpoints)
    {
        var pages = endpoints.MapGroup("").AddEndpointFilter(async (context, next) =>
        {
            // No framing (the register button must not be clickjacked), no scripts, no caching of the state.
            var headers = context.HttpContext.Response.Headers;
            headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'";
            headers.XFrameOptions = "DENY";
            headers.CacheControl = "no-store";
            headers["Referrer-Policy"] = "no-referrer";
            return await next(context);
        });
        pages.MapGet("/", HomeAsync);
        pages.MapPost(LoginPath, LoginAsync).DisableAntiforgery();
        pages.MapGet(CallbackPath, CallbackAsync);
        return endpoints;
    }

    internal static async Task<IResult> HomeAsync(HttpContext context, AppSetup setup, CriticBotStore store,
        IOptions<ReviewPipelineSettings> pipeline, GitHubAppJwt jwt, TimeProvider time, CancellationToken ct)
    {
        var status = await ReadStatusAsync(setup, store, pipeline.Value, jwt, time, ct);
        var organization = context.Request.Query["organization"].ToString().Trim();
        if (!IsOrganizationName(organization))
            organization = "";
        var body = new StringBuilder();
        WriteStatus(body, status, time.GetUtcNow());
        WriteNextSteps(body, context, setup, status, organization);
        return Page("CriticBot", body.ToString());
    }

    internal static async Task<IResult> LoginAsync(HttpContext context, AppSetup setup)
    {
        var form = context.Request.HasFormContentType ? await context.Request.ReadFormAsync() : null;
        if (setup.Login(form?["token"].ToString()) is not { } session)
            return Page("CriticBot: not signed in", "<p>That is not the operator's token (CRITICBOT_ADMIN_TOKEN).</p><p><a href=\"/\">Back</a></p>", StatusCodes.Status403Forbidden);
        context.Response.Cookies.Append(AppSetup.AdminCookie, session, new CookieOptions
        {
            HttpOnly = true,
            // Lax: the cookie survives the top-level redirect back from GitHub, never a cross-site POST.
            SameSite = SameSiteMode.Lax,
            Secure = context.Request.IsHttps,
            Path = "/",
        });
        return Results.Redirect("/", permanent: false, preserveMethod: false);
    }

    internal static async Task<IResult> CallbackAsync(HttpContext context, AppSetup setup, CancellationToken ct)
    {
        try
        {
            await setup.CompleteAsync(context.Request.Query["code"].ToString(), context.Request.Query["state"].ToString(), ct);
        }
        catch (AppRegistrationException ex)
        {
            return Page("CriticBot: registration failed", $"<p>{Html.Encode(ex.Message)}</p><p><a href=\"/\">Back to the setup page</a></p>", StatusCodes.Status400BadRequest);
        }

        return Results.Redirect("/", permanent: false, preserveMethod: false);
    }

    public static async Task<SetupStatus> ReadStatusAsync(AppSetup setup, CriticBotStore store, ReviewPipelineSettings pipeline, GitHubAppJwt jwt, TimeProvider time, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(setup);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(jwt);
        ArgumentNullException.ThrowIfNull(time);
        var database = ProbeDatabaseAsync(store, ct);
        var model = pipeline.Model;
        var modelBase = model?.BaseUrl ?? new Uri("https://api.openai.com/v1");
        var modelStatus = ProbeAsync(setup, new Uri(modelBase.ToString().TrimEnd('/') + "/models"), model?.ApiKey, ct);
        var installations = setup.IsRegistered
            ? ListInstallationsAsync(setup, jwt, time, ct)
            : Task.FromResult<IReadOnlyList<string>?>(null);
        var (reachable, inbox) = await database;
        return new SetupStatus
        {
            AppRegistered = setup.IsRegistered,
            AppId = setup.IsRegistered ? setup.AppId : 0,
            AppSlug = setup.Registration?.Slug,
            AppHtmlUrl = setup.Registration?.HtmlUrl,
            Installations = await installations,
            DatabaseReachable = reachable,
            ModelName = model?.Model ?? "(not configured)",
            ModelEndpoint = modelBase.GetLeftPart(UriPartial.Authority),
            ModelStatus = await modelStatus,
            Inbox = inbox,
        };
    }

    private static async Task<(bool Reachable, InboxSnapshot? Inbox)> ProbeDatabaseAsync(CriticBotStore store, CancellationToken ct)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            await store.PingAsync(timeout.Token);
            return (true, await store.GetInboxSnapshotAsync(timeout.Token));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return (false, null);
        }
    }

    private static async Task<int?> ProbeAsync(AppSetup setup, Uri url, string? bearer, CancellationToken ct)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            if (!string.IsNullOrEmpty(bearer))
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
            using var response = await setup.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            return (int)response.StatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
        {
            return null;
        }
    }

    private static async Task<IReadOnlyList<string>?> ListInstallationsAsync(AppSetup setup, GitHubAppJwt jwt, TimeProvider time, CancellationToken ct)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(GitHubAppOptions.ToBaseAddress(setup.ApiUrl), "app/installations?per_page=100"));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", jwt.Create(time.GetUtcNow()));
            using var response = await setup.Http.SendAsync(request, timeout.Token);
            if (!response.IsSuccessStatusCode)
                return null;
            using var document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(timeout.Token), cancellationToken: timeout.Token);
            return [.. document.RootElement.EnumerateArray()
                .Select(i => i.TryGetProperty("account", out var account) && account.TryGetProperty("login", out var login) ? login.GetString() ?? "?" : "?")];
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or JsonException or InvalidOperationException or GitHubConfigurationException)
        {
            return null;
        }
    }

    private static void WriteStatus(StringBuilder body, SetupStatus status, DateTimeOffset now)
    {
        body.Append("<h2>Setup</h2><table>");
        Row(body, "GitHub App", status.AppRegistered
            ? $"registered (id {status.AppId}{(status.AppSlug is null ? "" : ", " + status.AppSlug)})"
            : "not registered");
        Row(body, "Installations", !status.AppRegistered ? "none (no App yet)"
            : status.Installations is null ? "unknown (GitHub did not answer)"
            : status.Installations.Count == 0 ? "none yet"
            : $"{status.Installations.Count}: {string.Join(", ", status.Installations)}");
        Row(body, "Database", status.DatabaseReachable ? "reachable" : "NOT reachable");
        Row(body, "Model", $"{status.ModelName} at {status.ModelEndpoint}: " + status.ModelStatus switch
        {
            null => "NOT reachable",
            < 300 => "reachable",
            401 or 403 => $"reachable, but the key was refused ({status.ModelStatus})",
            _ => $"reachable (answered {status.ModelStatus})",
        });
        var inbox = status.Inbox is not { } snapshot ? "unknown"
            : $"{snapshot.Pending} waiting, {snapshot.Processing} in progress"
              + (snapshot.OldestReceivedAt is { } oldest ? $", oldest {Math.Max(0, (now - oldest).TotalSeconds).ToString("0", CultureInfo.InvariantCulture)} s" : "");
        Row(body, "Inbox", inbox);
        body.Append("</table>");
    }

    private static void WriteNextSteps(StringBuilder body, HttpContext context, AppSetup setup, SetupStatus status, string organization)
    {
        body.Append("<h2>Next</h2>");
        if (status.AppRegistered)
        {
            var install = status.AppHtmlUrl is { } html && Uri.TryCreate(html, UriKind.Absolute, out var appPage) && appPage.Scheme is "https" or "http"
                ? $" (<a href=\"{Html.Encode(appPage.ToString().TrimEnd('/'))}/installations/new\">install it</a>)"
                : "";
            body.Append(status.Installations is { Count: > 0 }
                ? "<p>Open a pull request in an installed repository: CriticBot reviews each push. Prometheus metrics are at <a href=\"/metrics\">/metrics</a>.</p>"
                : $"<p>Install the App on a repository{install}, then open a pull request.</p>");
            if (!status.DatabaseReachable || status.ModelStatus is null or >= 400)
                body.Append("<p>Fix the settings shown as not reachable above (docs/configuration.md).</p>");
            return;
        }

        body.Append("<p>No GitHub App is configured. Register one here in two clicks (GitHub's App manifest flow), or set "
            + "GITHUB_APP_ID, GITHUB_PRIVATE_KEY_PATH and GITHUB_WEBHOOK_SECRET and restart.</p>");
        if (!setup.IsAdmin(context))
        {
            body.Append(setup.AdminTokenConfigured
                ? $"<form method=\"post\" action=\"{LoginPath}\"><label>Operator token (CRITICBOT_ADMIN_TOKEN) <input type=\"password\" name=\"token\" autocomplete=\"current-password\"></label> <button type=\"submit\">Sign in</button></form>"
                : "<p>Registering needs the operator: open this page on the machine CriticBot runs on, or set CRITICBOT_ADMIN_TOKEN and sign in here.</p>");
            return;
        }

        var baseUrl = setup.PublicUrl ?? new Uri($"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}/");
        if (!baseUrl.AbsoluteUri.EndsWith('/'))
            baseUrl = new Uri(baseUrl.AbsoluteUri + "/");
        var webhookUrl = setup.WebhookProxyUrl ?? new Uri(baseUrl, WebhookEndpoints.Path.TrimStart('/'));
        var manifest = AppManifest.Build(baseUrl, webhookUrl);
        var web = GitHubAppOptions.WebUrlOf(setup.ApiUrl);
        var target = organization.Length > 0
            ? new Uri(web, $"organizations/{Uri.EscapeDataString(organization)}/settings/apps/new?state={setup.IssueState()}")
            : new Uri(web, $"settings/apps/new?state={setup.IssueState()}");
        body.Append($"<p>GitHub will deliver webhooks to <code>{Html.Encode(webhookUrl.ToString())}</code>"
            + (setup.PublicUrl is null && setup.WebhookProxyUrl is null ? " (this page's address; set CRITICBOT_PUBLIC_URL or CRITICBOT_WEBHOOK_PROXY_URL if GitHub reaches it elsewhere)" : "")
            + ".</p>");
        body.Append($"<form id=\"register\" method=\"post\" action=\"{Html.Encode(target.ToString())}\">"
            + $"<input type=\"hidden\" name=\"manifest\" value=\"{Html.Encode(manifest)}\">"
            + $"<button type=\"submit\">Register the GitHub App{(organization.Length > 0 ? " for " + Html.Encode(organization) : " on my account")}</button></form>");
        body.Append("<form method=\"get\" action=\"/\"><label>or for an organization <input name=\"organization\" value=\""
            + Html.Encode(organization) + "\"></label> <button type=\"submit\">Use this organization</button></form>");
    }

    private static void Row(StringBuilder body, string name, string value) =>
        body.Append("<tr><th>").Append(Html.Encode(name)).Append("</th><td>").Append(Html.Encode(value)).Append("</td></tr>");

    // GitHub organization logins: letters, digits and single hyphens, at most 39 characters.
    private static bool IsOrganizationName(string name) =>
        name.Length is > 0 and <= 39 && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');

    private static IResult Page(string title, string body, int status = StatusCodes.Status200OK)
    {
        var html = $$"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
            <title>{{Html.Encode(title)}}</title>
            <style>body{font-family:sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem}th{text-align:left;padding-right:1rem}</style>
            </head><body><h1>{{Html.Encode(title)}}</h1><p>Version {{Html.Encode(CriticBotTelemetry.Version)}}</p>
            {{body}}
            </body></html>
            """;
        return Results.Content(html, "text/html; charset=utf-8", Encoding.UTF8, status);
    }
}
