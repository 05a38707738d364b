using CriticBot.Storage;

namespace CriticBot.Inbox;

/// <summary>Records installation and installation_repositories deliveries (who installed the app, and when).</summary>
public sealed class InstallationRecorder(ICriticBotStore store)
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

        string account;
        try
        {
            account = Intake.WebhookPayloads.ReadInstallationAccount(delivery.Body);
        }
        catch (Intake.MalformedPayloadException ex)
        {
            throw new PermanentDeliveryException($"The {delivery.Event} delivery is malformed: {ex.Message}.", ex);
        }

        await store.RecordInstallationAsync(installationId, account, $"{delivery.Event}.{delivery.Action ?? "unknown"}", ct);
    }
}
