namespace CriticBot.Engine.Model;

/// <summary>
/// One call failed after its retries (server errors, timeouts, an unreadable answer): the critic counts it as a
/// failed sample and goes on, unlike <see cref="ModelUnavailableException"/>.
/// </summary>
public sealed class ModelCallFailedException : Exception
{
    public ModelCallFailedException() { }
    public ModelCallFailedException(string message) : base(message) { }
    public ModelCallFailedException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>The last HTTP status the server answered with; null when no answer came (timeout, dropped connection).</summary>
    public int? StatusCode { get; init; }
}
