namespace CriticBot.Inbox;

/// <summary>
/// Does the work for one stored delivery. Return normally: done, with the outcome in words (stored with the delivery). Throw <see cref="PermanentDeliveryException"/>:
/// failed at once. Throw anything else: retried with backoff. Honour <paramref name="ct"/>: on shutdown the
/// delivery is released and resumed by the next process.
/// </summary>
public interface IDeliveryHandler
{
    Task<string> HandleAsync(InboxDelivery delivery, CancellationToken ct);
}

/// <summary>A stored delivery handed to a handler. <see cref="Attempt"/> is 1 on the first try.</summary>
public sealed record InboxDelivery
{
    /// <summary>The store's row id.</summary>
    public required long Id { get; init; }

    /// <summary>GitHub's X-GitHub-Delivery.</summary>
    public required string DeliveryId { get; init; }

    public required string Event { get; init; }
    public string? Action { get; init; }
    public long? InstallationId { get; init; }
    public string? RepositoryFullName { get; init; }
    public int? PullRequest { get; init; }

    /// <summary>The raw JSON body exactly as GitHub sent it.</summary>
    public required string Body { get; init; }

    public required int Attempt { get; init; }
    public required DateTimeOffset ReceivedAt { get; init; }
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
