using System.Text.Json;
using CriticBot.Storage;

namespace CriticBot.Inbox;

/// <summary>Records installation and installation_repositories deliveries (who installed the app, and when).</summary>
public sealed class InstallationRecorder(IDeliveryInbox store)
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
