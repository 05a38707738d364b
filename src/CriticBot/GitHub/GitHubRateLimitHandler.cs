using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging;

namespace CriticBot.GitHub;

/// <summary>
/// The HTTP layer under Octokit for one installation (or the App itself): waits out the primary rate limit,
/// honours secondary limits (403/429 with retry-after), retries 5xx and network errors with backoff, and spaces
/// content-creating calls. All waits are bounded; past the bounds it throws <see cref="GitHubTransientException"/>.
/// A POST that met a 5xx is not retried here (GitHub may have done it anyway: a second review would be a visible
/// duplicate); it goes back to the inbox, whose redelivery first looks for what was already posted.
/// Logs method and path only: never headers, so never a token.
/// </summary>
public sealed partial class GitHubRateLimitHandler : DelegatingHandler
{
    // A little past the reset second, for clock skew between us and GitHub.
    private static readonly TimeSpan ResetSlack = TimeSpan.FromMilliseconds(500);

    private readonly GitHubResilienceOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly bool _spaceWrites;
    private readonly bool _retryPostsOnServerError;
    private readonly CriticBot.Observability.CriticBotMetrics? _metrics;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly Lock _gate = new();
    private DateTimeOffset _blockedUntil;
    private DateTimeOffset _lastWrite;

    /// <param name="spaceWrites">Keep <see cref="GitHubResilienceOptions.MinimumWriteInterval"/> between content-creating calls.</param>
    /// <param name="retryPostsOnServerError">Retry POSTs after a 5xx: only where a repeat is harmless (installation tokens).</param>
    public GitHubRateLimitHandler(GitHubResilienceOptions options, TimeProvider time, ILogger logger, bool spaceWrites, bool retryPostsOnServerError = false,
        CriticBot.Observability.CriticBotMetrics? metrics = null)
    {
        _metrics = metrics;
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _spaceWrites = spaceWrites;
        _retryPostsOnServerError = retryPostsOnServerError;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri?.AbsolutePath ?? "";
        var attempts = Math.Max(1, _options.MaxAttempts);
        for (var attempt = 1; ; attempt++)
        {
            await WaitForPrimaryLimitAsync(request.Method, path, cancellationToken);

            HttpResponseMessage response;
            try
            {
                response = await SendSpacedAsync(request, cancellationToken);
            }
            catch (HttpRequestException ex)
            {
                if (attempt >= attempts)
                    throw new GitHubTransientException($"GitHub could not be reached for {request.Method} {path} after {attempt} attempts: {ex.Message}", null, null, ex);
                var backoff = Backoff(attempt);
                _metrics?.GitHubWait(CriticBot.Observability.GitHubWaitReason.ServerError, backoff);
                LogRetrying(_logger, request.Method.Method, path, 0, backoff.TotalMilliseconds, attempt);
                await Task.Delay(backoff, _time, cancellationToken);
                continue;
            }

            RememberPrimaryLimit(response);
            _metrics?.GitHubCall(request.Method, (int)response.StatusCode, Header(response, "x-ratelimit-remaining"));
            var wait = await RetryDelayAsync(request.Method, response, attempt, cancellationToken);
            if (wait is null)
                return response;

            var status = response.StatusCode;
            response.Dispose();
            if (attempt >= attempts || wait.Value > _options.MaxWait)
            {
                // Only rate limits get a wait on a 403/429: say so, so the recorded reason explains the delay.
                var why = (int)status is 403 or 429 ? "rate limited" : "failed";
                throw new GitHubTransientException(
                    $"GitHub answered {(int)status} to {request.Method} {path} ({why}, attempt {attempt}); retry after {wait.Value.TotalSeconds:0.#} s.",
                    status,
                    wait);
            }
            LogRetrying(_logger, request.Method.Method, path, (int)status, wait.Value.TotalMilliseconds, attempt);
            _metrics?.GitHubWait((int)status is 403 or 429 ? CriticBot.Observability.GitHubWaitReason.SecondaryLimit : CriticBot.Observability.GitHubWaitReason.ServerError, wait.Value);
            await Task.Delay(wait.Value, _time, cancellationToken);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            _writeGate.Dispose();
        base.Dispose(disposing);
    }

    private static bool IsWrite(HttpMethod method) =>
        method == HttpMethod.Post || method == HttpMethod.Patch || method == HttpMethod.Put || method == HttpMethod.Delete;

    /// <summary>GitHub asks integrators to wait about a second between content-creating requests.</summary>
    private async Task<HttpResponseMessage> SendSpacedAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!_spaceWrites || !IsWrite(request.Method) || _options.MinimumWriteInterval <= TimeSpan.Zero)
            return await base.SendAsync(request, cancellationToken);

        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            var gap = _lastWrite + _options.MinimumWriteInterval - _time.GetUtcNow();
            if (gap > TimeSpan.Zero)
                await Task.Delay(gap, _time, cancellationToken);
            return await base.SendAsync(request, cancellationToken);
        }
        finally
        {
            _lastWrite = _time.GetUtcNow();
            _writeGate.Release();
        }
    }

    private async Task WaitForPrimaryLimitAsync(HttpMethod method, string path, CancellationToken cancellationToken)
    {
        DateTimeOffset blockedUntil;
        lock (_gate)
            blockedUntil = _blockedUntil;
        var wait = blockedUntil - _time.GetUtcNow();
        if (wait <= TimeSpan.Zero)
            return;
        if (wait > _options.MaxWait)
            throw new GitHubTransientException($"GitHub's rate limit is used up until {blockedUntil:O}; {method} {path} must wait.", HttpStatusCode.Forbidden, wait);
        LogWaitingForReset(_logger, method.Method, path, wait.TotalMilliseconds);
        _metrics?.GitHubWait(CriticBot.Observability.GitHubWaitReason.RateLimit, wait);
        await Task.Delay(wait, _time, cancellationToken);
    }

    private void RememberPrimaryLimit(HttpResponseMessage response)
    {
        if (Header(response, "x-ratelimit-remaining") != "0" || ResetTime(response) is not { } reset)
            return;
        lock (_gate)
        {
            if (reset + ResetSlack > _blockedUntil)
                _blockedUntil = reset + ResetSlack;
        }
    }

    /// <summary>How long to wait before retrying <paramref name="response"/>, or null when it is final.</summary>
    private async Task<TimeSpan?> RetryDelayAsync(HttpMethod method, HttpResponseMessage response, int attempt, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        if (status is 403 or 429)
        {
            if (RetryAfter(response) is { } retryAfter)
                return retryAfter;
            if (Header(response, "x-ratelimit-remaining") == "0" && ResetTime(response) is { } reset)
                return Max(reset - _time.GetUtcNow() + ResetSlack, TimeSpan.Zero);
            if (status == 429)
                return Backoff(attempt);

            // A 403 is a secondary limit only when GitHub says so; otherwise it is a real "no".
            await response.Content.LoadIntoBufferAsync(cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            // GitHub: without retry-after, wait at least a minute after a secondary limit.
            return body.Contains("secondary rate limit", StringComparison.OrdinalIgnoreCase) ? TimeSpan.FromMinutes(1) : null;
        }
        if (status is (500 or 502 or 503 or 504) && (method != HttpMethod.Post || _retryPostsOnServerError))
            return RetryAfter(response) ?? Backoff(attempt);
        return null;
    }

    private TimeSpan Backoff(int attempt)
    {
        var baseMs = _options.BaseBackoff.TotalMilliseconds * Math.Pow(2, attempt - 1);
        // Jitter, so many workers retrying the same outage do not come back in step.
        return TimeSpan.FromMilliseconds(baseMs * (0.8 + Random.Shared.NextDouble() * 0.4));
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        if (response.Headers.RetryAfter is not { } retryAfter)
            return null;
        if (retryAfter.Delta is { } delta)
            return delta;
        return retryAfter.Date is { } date ? Max(date - _time.GetUtcNow(), TimeSpan.Zero) : null;
    }

    private static DateTimeOffset? ResetTime(HttpResponseMessage response) =>
        long.TryParse(Header(response, "x-ratelimit-reset"), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : null;

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    [LoggerMessage(Level = LogLevel.Warning, Message = "GitHub {Method} {Path} answered {Status}; retrying in {DelayMs:0} ms (attempt {Attempt})")]
    private static partial void LogRetrying(ILogger logger, string method, string path, int status, double delayMs, int attempt);

    [LoggerMessage(Level = LogLevel.Information, Message = "GitHub rate limit used up; {Method} {Path} waits {DelayMs:0} ms for the reset")]
    private static partial void LogWaitingForReset(ILogger logger, string method, string path, double delayMs);
}
