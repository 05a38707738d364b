using CriticBot.Intake;
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
        return delivery.Event is WebhookEvents.Installation or WebhookEvents.InstallationRepositories;
    }

    public async Task RecordAsync(ClaimedDelivery delivery, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        if (delivery.InstallationId is not { } installationId)
        {
            throw new PermanentDeliveryException($"The {delivery.Event} delivery has no installation id.");
        }

        string account;
        IReadOnlyList<string> toForget;
        try
        {
            account = WebhookPayloads.ReadInstallationAccount(delivery.Body);
            toForget = await RepositoriesToForgetAsync(delivery, installationId, ct);
        }
        catch (MalformedPayloadException ex)
        {
            throw new PermanentDeliveryException($"The {delivery.Event} delivery is malformed: {ex.Message}.", ex);
        }

        await store.RecordInstallationAsync(installationId, account, $"{delivery.Event}.{delivery.Action ?? "unknown"}", ct);

        // Repeating a forget deletes nothing more, so a retried delivery is harmless.
        foreach (var repository in toForget)
        {
            await retention.ForgetRepositoryAsync(repository, ct);
        }
    }

    private async Task<IReadOnlyList<string>> RepositoriesToForgetAsync(ClaimedDelivery delivery, long installationId, CancellationToken ct) =>
        (delivery.Event, delivery.Action) switch
        {
            // The payload lists the repositories it had (when GitHub sends them); stored deliveries name the rest.
            (WebhookEvents.Installation, "deleted") =>
                [.. WebhookPayloads.ReadRepositoryNames(delivery.Body, "repositories")
                    .Concat(await retention.GetRepositoriesOfInstallationAsync(installationId, ct))
                    .Distinct(StringComparer.OrdinalIgnoreCase)],
            (WebhookEvents.InstallationRepositories, "removed") => WebhookPayloads.ReadRepositoryNames(delivery.Body, "repositories_removed"),
            _ => [],
        };
}
