using System.Collections.Concurrent;
using CriticBot.Inbox;
using CriticBot.Storage;

namespace CriticBot.Tests.Fixtures;

/// <summary>A delivery handler whose behaviour each test scripts; records every call.</summary>
public sealed class ScriptedHandler(Func<ClaimedDelivery, CancellationToken, Task>? behaviour = null) : IDeliveryHandler
{
    public ConcurrentQueue<ClaimedDelivery> Calls { get; } = new();

    public async Task<string> HandleAsync(ClaimedDelivery delivery, CancellationToken ct)
    {
        Calls.Enqueue(delivery);
        if (behaviour is not null)
        {
            await behaviour(delivery, ct);
        }

        return "scripted";
    }

    public int CallsFor(string deliveryId) => Calls.Count(call => call.DeliveryId == deliveryId);
}
