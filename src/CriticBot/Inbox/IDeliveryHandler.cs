using CriticBot.Storage;

namespace CriticBot.Inbox;

/// <summary>
/// Does the work for one stored delivery. Return normally: done, with the outcome in words (stored with the delivery). Throw <see cref="PermanentDeliveryException"/>:
/// failed at once. Throw anything else: retried with backoff. Honour <paramref name="ct"/>: on shutdown the
/// delivery is released and resumed by the next process.
/// </summary>
public interface IDeliveryHandler
{
    Task<string> HandleAsync(ClaimedDelivery delivery, CancellationToken ct);
}

/// <summary>A failure that retrying cannot fix (bad payload, uninstalled app): the delivery fails at once.</summary>
public sealed class PermanentDeliveryException : Exception
{
    public PermanentDeliveryException()
    {
    }

    public PermanentDeliveryException(string message)
        : base(message)
    {
    }

    public PermanentDeliveryException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
