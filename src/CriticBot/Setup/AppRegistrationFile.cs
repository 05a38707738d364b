using System.Text.Json;
using System.Text.Json.Serialization;
using CriticBot.GitHub;
using CriticBot.Hosting;
using CriticBot.Commands;
using CriticBot.Storage;

namespace CriticBot.Setup;

/// <summary>What GitHub returned for an App created from the manifest, as kept in the registration file.</summary>
public sealed record AppRegistration
{
    [JsonPropertyName("app_id")] public required long AppId { get; init; }
    [JsonPropertyName("slug")] public string? Slug { get; init; }
    [JsonPropertyName("html_url")] public string? HtmlUrl { get; init; }
    [JsonPropertyName("owner")] public string? Owner { get; init; }
    [JsonPropertyName("webhook_secret")] public required string WebhookSecret { get; init; }
    [JsonPropertyName("pem")] public required string PrivateKeyPem { get; init; }
    [JsonPropertyName("registered_at")] public DateTimeOffset RegisteredAt { get; init; }
}

/// <summary>
/// The App registered on the first-run page, in a JSON file next to the SQLite database (or in the current
/// directory on PostgreSQL), or where CRITICBOT_APP_REGISTRATION_FILE says. It holds the private key and the webhook
/// secret, so it is created owner-only (0600) and never logged. It is read only when no GITHUB_* App setting is given.
/// </summary>
public static class AppRegistrationFile
{
    public const string PathSetting = "CRITICBOT_APP_REGISTRATION_FILE";
    public const string DefaultFileName = "criticbot-app.json";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static string PathFor(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (configuration[PathSetting] is { Length: > 0 } explicitPath)
            return System.IO.Path.GetFullPath(explicitPath);
        var database = configuration["CRITICBOT_DATABASE"];
        try
        {
            var location = DatabaseLocation.Parse(string.IsNullOrWhiteSpace(database) ? "criticbot.db" : database);
            if (location.Kind == DatabaseKind.Sqlite)
                return System.IO.Path.Combine(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(location.Target)) ?? ".", DefaultFileName);
        }
        catch (FormatException)
        {
            // The storage settings report a bad CRITICBOT_DATABASE themselves.
        }

        return System.IO.Path.GetFullPath(DefaultFileName);
    }

    /// <summary>The saved registration, or null when there is none. Throws <see cref="StartupException"/>-worthy IO errors as <see cref="InvalidDataException"/>.</summary>
    public static AppRegistration? Read(string path)
    {
        if (!File.Exists(path))
            return null;
        try
        {
            var registration = JsonSerializer.Deserialize<AppRegistration>(File.ReadAllText(path), Json);
            if (registration is null || registration.AppId <= 0 || string.IsNullOrWhiteSpace(registration.WebhookSecret) || string.IsNullOrWhiteSpace(registration.PrivateKeyPem))
                throw new InvalidDataException($"{path}: not a complete App registration (app_id, webhook_secret and pem are required).");
            return registration;
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({ex.Message}).", ex);
        }
    }

    /// <summary>Writes the registration owner-only (0600 on Unix), through a temporary file so a crash leaves the old one or the new one.</summary>
    public static void Write(string path, AppRegistration registration)
    {
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path)) ?? ".";
        Directory.CreateDirectory(directory);
        var temporary = System.IO.Path.Combine(directory, $".{System.IO.Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        try
        {
            using (var stream = new FileStream(temporary, options))
            {
                JsonSerializer.Serialize(stream, registration, Json);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>
    /// When no App setting is given and a registration file exists, its id, key and secret become the GITHUB_*
    /// settings, so the service starts registered exactly as if they had been set.
    /// </summary>
    public static void AddTo(IConfigurationBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (!GitHubAppOptions.IsNothingConfigured(configuration))
            return;
        var path = PathFor(configuration);
        AppRegistration? registration;
        try
        {
            registration = Read(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw new StartupException($"{PathSetting}: cannot read the App registration: {ex.Message}", ex);
        }

        if (registration is null)
            return;
        builder.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [GitHubAppOptions.AppIdSetting] = registration.AppId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [GitHubAppOptions.PrivateKeySetting] = registration.PrivateKeyPem,
            [GitHubAppOptions.WebhookSecretSetting] = registration.WebhookSecret,
        });
    }
}
