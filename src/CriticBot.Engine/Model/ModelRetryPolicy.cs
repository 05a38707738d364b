using System.ClientModel.Primitives;
using System.Globalization;
using System.Net.Http;
using Microsoft.Extensions.Logging;

namespace CriticBot.Engine.Model;

/// <summary>
/// Retries 408, 429, 5xx and dropped connections with exponential back-off, honouring the server's
/// <c>retry-after-ms</c> / <c>Retry-After</c>. Refused connections, unknown hosts and timeouts are not retried:
/// the first two will not heal in seconds, and a timed-out sample is cheaper to drop than to wait for again.
/// </summary>
internal sealed partial class ModelRetryPolicy : ClientRetryPolicy
{
    private static readonly HashSet<int> RetriableStatuses = [408, 429, 500, 502, 503, 504];

    private readonly ModelOptions _options;
    private readonly ILogger _logger;

    public ModelRetryPolicy(ModelOptions options, ILogger logger) : base(options.MaxRetries)
    {
        _options = options;
        _logger = logger;
    }

    protected override bool ShouldRetry(PipelineMessage message, Exception? exception)
    {
        var retriesMade = RetriesMade(message);
        if (retriesMade >= _options.MaxRetries || message.CancellationToken.IsCancellationRequested)
            return false;

        if (exception is not null)
            return IsTransientNetworkFailure(exception);
        return message.Response is { } response && RetriableStatuses.Contains(response.Status);
    }

    // The base class keeps its retry count internal, so the message carries ours.
    protected override void OnTryComplete(PipelineMessage message) =>
        message.SetProperty(typeof(RetryCounter), new RetryCounter(RetriesMade(message) + 1));

    private static int RetriesMade(PipelineMessage message) =>
        message.TryGetProperty(typeof(RetryCounter), out var counter) && counter is RetryCounter { Count: var count } ? count : 0;

    private sealed record RetryCounter(int Count);

    protected override TimeSpan GetNextDelay(PipelineMessage message, int tryCount)
    {
        var headers = message.Response?.Headers;
        string? retryAfterMs = null, retryAfter = null;
        headers?.TryGetValue("retry-after-ms", out retryAfterMs);
        headers?.TryGetValue("Retry-After", out retryAfter);
        // Our own count: the base class's tryCount numbering has differed between versions.
        var retriesMade = RetriesMade(message);
        var delay = RetryDelay.Next(retriesMade, retryAfterMs, retryAfter, DateTimeOffset.UtcNow, _options.RetryBaseDelay, _options.MaxRetryDelay);
        var attempt = retriesMade + 1;
        if (message.Response is { } response)
            LogRetryAfterStatus(_logger, _options.Host, response.Status, attempt, _options.MaxRetries, (long)delay.TotalMilliseconds);
        else
            LogRetryAfterNetworkFailure(_logger, _options.Host, attempt, _options.MaxRetries, (long)delay.TotalMilliseconds);
        return delay;
    }

    /// <summary>A connection that dropped mid-answer may succeed next time; a refused one or a timeout is not retried.</summary>
    private static bool IsTransientNetworkFailure(Exception exception)
    {
        var chain = ExceptionChain.Of(exception).ToList();
        if (chain.Any(e => e is OperationCanceledException or TimeoutException))
            return false;
        if (chain.OfType<HttpRequestException>().FirstOrDefault() is { } http)
            return http.HttpRequestError is not (HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError
                or HttpRequestError.SecureConnectionError or HttpRequestError.ConfigurationLimitExceeded);
        return chain.Any(e => e is IOException);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model server {Host} answered HTTP {Status}; retry {Attempt} of {MaxRetries} in {DelayMs} ms")]
    private static partial void LogRetryAfterStatus(ILogger logger, string host, int status, int attempt, int maxRetries, long delayMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connection to model server {Host} failed; retry {Attempt} of {MaxRetries} in {DelayMs} ms")]
    private static partial void LogRetryAfterNetworkFailure(ILogger logger, string host, int attempt, int maxRetries, long delayMs);
}

/// <summary>How long to wait before a retry: what the server asked for, else exponential back-off; never above the cap.</summary>
internal static class RetryDelay
{
    /// <param name="retryCount">Retries already made (0 before the first retry).</param>
    public static TimeSpan Next(int retryCount, string? retryAfterMs, string? retryAfter, DateTimeOffset now, TimeSpan baseDelay, TimeSpan maxDelay)
    {
        var asked = FromHeaders(retryAfterMs, retryAfter, now);
        var backOff = baseDelay * Math.Pow(2, Math.Clamp(retryCount, 0, 30));
        var delay = asked ?? backOff;
        return delay < TimeSpan.Zero ? TimeSpan.Zero : delay > maxDelay ? maxDelay : delay;
    }

    /// <summary>
    /// OpenAI sends <c>retry-after-ms</c> (milliseconds) and <c>Retry-After</c> (seconds, possibly fractional,
    /// or an HTTP date). Null when neither is present or readable.
    /// </summary>
    public static TimeSpan? FromHeaders(string? retryAfterMs, string? retryAfter, DateTimeOffset now)
    {
        if (double.TryParse(retryAfterMs, NumberStyles.Float, CultureInfo.InvariantCulture, out var milliseconds)
            && milliseconds >= 0 && double.IsFinite(milliseconds))
            return TimeSpan.FromMilliseconds(Math.Min(milliseconds, TimeSpan.FromDays(1).TotalMilliseconds));
        if (double.TryParse(retryAfter, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
            && seconds >= 0 && double.IsFinite(seconds))
            return TimeSpan.FromSeconds(Math.Min(seconds, TimeSpan.FromDays(1).TotalSeconds));
        if (DateTimeOffset.TryParseExact(retryAfter, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
            return date > now ? date - now : TimeSpan.Zero;
        return null;
    }
}

internal static class ExceptionChain
{
    /// <summary>The exception, its inner exceptions and, for aggregates, every exception inside.</summary>
    public static IEnumerable<Exception> Of(Exception exception)
    {
        var pending = new Stack<Exception>();
        pending.Push(exception);
        while (pending.Count > 0)
        {
            var current = pending.Pop();
            yield return current;
            if (current is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions)
                    pending.Push(inner);
            }
            else if (current.InnerException is { } inner)
            {
                pending.Push(inner);
            }
        }
    }
}
