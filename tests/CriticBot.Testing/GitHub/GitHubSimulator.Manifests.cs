using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CriticBot.Testing.GitHub;

/// <summary>A manifest the simulator's "create App" page received, as GitHub's web side would.</summary>
public sealed record ReceivedManifest(string? Organization, string State, JsonElement Manifest, long AppId);

/// <summary>
/// GitHub's App manifest flow: the web page that takes a POSTed manifest (github.com/settings/apps/new or
/// /organizations/ORG/settings/apps/new), creates the App and redirects to the manifest's redirect_url with a
/// one-time code, and the API's POST /app-manifests/{code}/conversions that trades the code for the App's id,
/// private key and webhook secret. The created App can then authenticate like any other.
/// </summary>
public sealed partial class GitHubSimulator
{
    private static readonly TimeSpan ManifestCodeLifetime = TimeSpan.FromHours(1);
    private readonly Dictionary<string, (long AppId, string Pem, string WebhookSecret, string Name, string Owner, DateTimeOffset Expires)> _manifestCodes = [];
    private readonly List<ReceivedManifest> _receivedManifests = [];
    private readonly Dictionary<long, string> _webhookSecrets = [];
    private long _nextAppId = 900_001;

    /// <summary>Every manifest posted to the create-App page, in order.</summary>
    public IReadOnlyList<ReceivedManifest> ReceivedManifests
    {
        get
        {
            lock (_gate)
                return [.. _receivedManifests];
        }
    }

    /// <summary>The webhook secret GitHub generated for an App made from a manifest.</summary>
    public string? WebhookSecretOf(long appId)
    {
        lock (_gate)
            return _webhookSecrets.GetValueOrDefault(appId);
    }

    private void MapManifestFlow(WebApplication app)
    {
        app.MapPost("/settings/apps/new", (Func<HttpContext, Task<IResult>>)(context => CreateAppFromManifestAsync(context, null)));
        app.MapPost("/organizations/{org}/settings/apps/new", (HttpContext context, string org) => CreateAppFromManifestAsync(context, org));
        app.MapPost("/app-manifests/{code}/conversions", ConvertManifestCode);
        app.MapGet("/app/installations", ListAppInstallations);
    }

    private async Task<IResult> CreateAppFromManifestAsync(HttpContext context, string? organization)
    {
        if (!context.Request.HasFormContentType)
            return Error(400, "Expected a form with a manifest field");
        var form = await context.Request.ReadFormAsync();
        var state = context.Request.Query["state"].ToString();
        JsonElement manifest;
        try
        {
            using var document = JsonDocument.Parse(form["manifest"].ToString());
            manifest = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return Error(422, "The manifest is not valid JSON");
        }

        // GitHub requires the webhook URL and takes the redirect back from the manifest.
        if (manifest.ValueKind != JsonValueKind.Object
            || !manifest.TryGetProperty("hook_attributes", out var hook) || !hook.TryGetProperty("url", out _)
            || !manifest.TryGetProperty("redirect_url", out var redirect) || redirect.GetString() is not { Length: > 0 } redirectUrl
            || !Uri.TryCreate(redirectUrl, UriKind.Absolute, out var redirectUri))
            return Error(422, "The manifest needs hook_attributes.url and an absolute redirect_url");

        var name = manifest.TryGetProperty("name", out var n) ? n.GetString() ?? "app" : "app";
        using var rsa = RSA.Create(2048);
        var publicKey = RSA.Create();
        publicKey.ImportRSAPublicKey(rsa.ExportRSAPublicKey(), out _);
        var code = Convert.ToHexString(RandomNumberGenerator.GetBytes(10)).ToLowerInvariant();
        long appId;
        lock (_gate)
        {
            appId = _nextAppId++;
            var slug = new string([.. name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-')]);
            _apps[appId] = new SimulatedApp { AppId = appId, Slug = slug, PublicKey = publicKey };
            var secret = Convert.ToHexString(RandomNumberGenerator.GetBytes(20)).ToLowerInvariant();
            _webhookSecrets[appId] = secret;
            _manifestCodes[code] = (appId, rsa.ExportRSAPrivateKeyPem(), secret, name, organization ?? "octocat", DateTimeOffset.UtcNow + ManifestCodeLifetime);
            _receivedManifests.Add(new ReceivedManifest(organization, state, manifest, appId));
        }

        var separator = string.IsNullOrEmpty(redirectUri.Query) ? "?" : "&";
        return Results.Redirect($"{redirectUrl}{separator}code={Uri.EscapeDataString(code)}&state={Uri.EscapeDataString(state)}");
    }

    private IResult ConvertManifestCode(string code)
    {
        lock (_gate)
        {
            // Codes are single use and expire after an hour.
            if (!_manifestCodes.Remove(code, out var created) || created.Expires < DateTimeOffset.UtcNow)
                return Error(404, "Not Found");
            var slug = _apps[created.AppId].Slug;
            return Results.Json(
                new
                {
                    Id = created.AppId,
                    Slug = slug,
                    NodeId = "A_" + created.AppId.ToString(CultureInfo.InvariantCulture),
                    Name = created.Name,
                    Owner = new { Login = created.Owner },
                    HtmlUrl = $"https://github.com/apps/{slug}",
                    ClientId = "Iv1." + created.AppId.ToString(CultureInfo.InvariantCulture),
                    ClientSecret = Convert.ToHexString(RandomNumberGenerator.GetBytes(20)).ToLowerInvariant(),
                    WebhookSecret = created.WebhookSecret,
                    Pem = created.Pem,
                },
                Json,
                statusCode: 201);
        }
    }

    private IResult ListAppInstallations(HttpContext context)
    {
        lock (_gate)
        {
            if (AuthenticateApp(context, out var appId) is { } denied)
                return denied;
            var installations = _installations.Values
                .Where(i => i.AppId is null || i.AppId == appId)
                .OrderBy(i => i.Id)
                .Select(i => new { i.Id, AppId = appId, Account = new { Login = i.Account } });
            return Results.Json(installations, Json);
        }
    }
}
