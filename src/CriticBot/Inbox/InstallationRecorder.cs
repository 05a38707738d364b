using System.Text.Json;
using CriticBot.Storage;

namespace CriticBot.Inbox;

/// <summary>
/// Records installation and installation_repositories deliveries (who installed the app, and when). When the App is
/// uninstalled, or repositories are removed from it, their data is forgotten as by <c>criticbot forget</c>.
/// </summary>
public sealed class InstallationRecorder(IDeliveryInbox store, IDataRetention retention)
{
    public static bool Applies(ClaimedDelivery delivery)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        return delivery.Event is Intake.WebhookEvents.Installation or Intake.WebhookEvents.InstallationRepositories;
    }

    public async Task RecordAsync(ClaimedDelivery delivery, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        if (delivery.InstallationId is not { } installationId)
        {
            throw new PermanentDeliveryException($"The {delivery.Event} delivery has no installation id.");
        }

        var account = ReadAccount(delivery.Body)
            ?? throw new PermanentDeliveryException($"The {delivery.Event} delivery has no installation.account.login.");
        await store.RecordInstallationAsync(installationId, account, $"{delivery.Event}.{delivery.Action ?? "unknown"}", ct);

        // Repeating a forget deletes nothing more, so a retried delivery is harmless.
        foreach (var repository in await RepositoriesToForgetAsync(delivery, installationId, ct))
        {
            await retention.ForgetRepositoryAsync(repository, ct);
        }
    }

    private async Task<IReadOnlyList<string>> RepositoriesToForgetAsync(ClaimedDelivery delivery, long installationId, CancellationToken ct) =>
        (delivery.Event, delivery.Action) switch
        {
            // The payload lists the repositories it had (when GitHub sends them); stored deliveries name the rest.
            (Intake.WebhookEvents.Installation, "deleted") =>
                [.. ReadRepositories(delivery.Body, "repositories")
                    .Concat(await retention.GetRepositoriesOfInstallationAsync(installationId, ct))
                    .Distinct(StringComparer.OrdinalIgnoreCase)],
            (Intake.WebhookEvents.InstallationRepositories, "removed") => ReadRepositories(delivery.Body, "repositories_removed"),
            _ => [],
        };

    /// <summary>The full_name of each repository in a payload array; anything malformed is skipped.</summary>
    private static List<string> ReadRepositories(string body, string property)
    {
        var names = new List<string>();
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty(property, out var repositories)
                && repositories.ValueKind == JsonValueKind.Array)
            {
                foreach (var repository in repositories.EnumerateArray())
                {
                    if (repository.ValueKind == JsonValueKind.Object
                        && repository.TryGetProperty("full_name", out var fullName)
                        && fullName.ValueKind == JsonValueKind.String
                        && fullName.GetString() is { Length: > 2 and <= 200 } name
                        && name.Contains('/', StringComparison.Ordinal))
                    {
                        names.Add(name);
                    }
                }
            }
        }
        catch (JsonException)
        {
            // The account was read from the same body; a broken list forgets nothing rather than failing the delivery.
        }

        return names;
    }

    private static string? ReadAccount(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.TryGetProperty("installation", out var installation)
                && installation.ValueKind == JsonValueKind.Object
                && installation.TryGetProperty("account", out var account)
                && account.ValueKind == JsonValueKind.Object
                && account.TryGetProperty("login", out var login)
                && login.ValueKind == JsonValueKind.String
                    ? login.GetString()
                    : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
