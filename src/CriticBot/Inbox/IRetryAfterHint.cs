namespace CriticBot.Inbox;

/// <summary>
/// A failure that knows when trying again can first succeed: a rate limit's reset, another holder's lease. The inbox
/// waits at least that long before the next attempt, so bounded retries are not all spent before it has passed.
/// </summary>
public interface IRetryAfterHint
{
    /// <summary>How long from now to wait; null when unknown.</summary>
    TimeSpan? RetryAfter { get; }
}
