using System.Diagnostics.Metrics;
using CriticBot.Engine.Critic;
using CriticBot.Storage;

namespace CriticBot.Observability;

/// <summary>Why intake refused a request: the <c>reason</c> label of <c>criticbot_deliveries_rejected_total</c>.</summary>
public enum DeliveryRejection
{
    TooLarge,
    BadSignature,
    BadHeaders,
    Malformed,
    NotConfigured,
}

/// <summary>Why a GitHub call waited: the <c>reason</c> label of <c>criticbot_github_waits_total</c>.</summary>
public enum GitHubWaitReason
{
    /// <summary>The primary rate limit was used up: waiting for its reset.</summary>
    RateLimit,

    /// <summary>A 403/429 with retry-after, or GitHub's secondary limit.</summary>
    SecondaryLimit,

    /// <summary>A 5xx or a dropped connection, retried with backoff.</summary>
    ServerError,
}

/// <summary>
/// Every CriticBot instrument, on one <see cref="Meter"/> named <see cref="MeterName"/> (created through the host's
/// <see cref="IMeterFactory"/>, so each host has its own). The Prometheus exporter turns the dotted names into
/// <c>criticbot_..._total</c> and <c>..._seconds</c>; docs/observability.md lists them. Labels are small closed sets
/// (enums, HTTP methods and statuses), never repositories or users, so the series count stays bounded.
/// </summary>
public sealed class CriticBotMetrics
{
    public const string MeterName = "CriticBot";

    // The inbox gauges read the database; a scrape reads both, so one query serves them for a moment.
    private static readonly TimeSpan SnapshotReuse = TimeSpan.FromSeconds(1);

    private readonly CriticBotStore _store;
    private readonly TimeProvider _time;
    private readonly Lock _snapshotGate = new();
    private (InboxSnapshot Snapshot, DateTimeOffset At)? _lastSnapshot;
    private long _rateLimitRemaining = -1;

    private readonly Counter<long> _deliveriesReceived;
    private readonly Counter<long> _deliveriesRejected;
    private readonly Counter<long> _deliveriesFinished;
    private readonly Counter<long> _reviews;
    private readonly Counter<long> _commentsPosted;
    private readonly Counter<long> _commentsDropped;
    private readonly Histogram<double> _modelCallDuration;
    private readonly Counter<long> _modelTokens;
    private readonly Counter<long> _modelErrors;
    private readonly Counter<long> _gitHubCalls;
    private readonly Counter<long> _gitHubWaits;
    private readonly Counter<double> _gitHubWaitSeconds;
    private readonly Counter<long> _feedbackEvents;

    public CriticBotMetrics(IMeterFactory meters, CriticBotStore store, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        var meter = meters.Create(MeterName);

        _deliveriesReceived = meter.CreateCounter<long>("criticbot.deliveries.received", description: "Webhook deliveries accepted, by event and result (queued, ignored, duplicate).");
        _deliveriesRejected = meter.CreateCounter<long>("criticbot.deliveries.rejected", description: "Webhook requests refused, by reason.");
        _deliveriesFinished = meter.CreateCounter<long>("criticbot.deliveries.processed", description: "Inbox attempts finished, by result (done, retry, failed).");
        meter.CreateObservableGauge("criticbot.inbox.depth", ObserveDepth, description: "Deliveries waiting (pending) or being worked on (processing).");
        meter.CreateObservableGauge("criticbot.inbox.oldest.age", ObserveOldestAge, unit: "s", description: "Age of the oldest unfinished delivery (0 when the inbox is empty).");
        _reviews = meter.CreateCounter<long>("criticbot.reviews", description: "Reviews finished, by outcome (posted, skipped, superseded, failed).");
        _commentsPosted = meter.CreateCounter<long>("criticbot.comments.posted", description: "Review comments posted, by placement (inline, body).");
        _commentsDropped = meter.CreateCounter<long>("criticbot.comments.dropped", description: "Candidate highlights not posted, by reason code.");
        _modelCallDuration = meter.CreateHistogram<double>("criticbot.model.call.duration", unit: "s", description: "Model call latency, by outcome (ok, error).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.25, 0.5, 1, 2, 5, 10, 20, 40, 60, 120] });
        _modelTokens = meter.CreateCounter<long>("criticbot.model.tokens", description: "Model tokens, by kind (prompt, completion, cached_prompt).");
        _modelErrors = meter.CreateCounter<long>("criticbot.model.errors", description: "Model calls that failed, by kind (unavailable, timeout, error).");
        _gitHubCalls = meter.CreateCounter<long>("criticbot.github.api.calls", description: "GitHub API responses, by method and status code.");
        meter.CreateObservableGauge("criticbot.github.rate_limit.remaining", ObserveRateLimit, description: "The last x-ratelimit-remaining GitHub reported.");
        _gitHubWaits = meter.CreateCounter<long>("criticbot.github.waits", description: "Waits before a GitHub call, by reason (rate_limit, secondary_limit, server_error).");
        _gitHubWaitSeconds = meter.CreateCounter<double>("criticbot.github.wait.time", unit: "s", description: "Time spent waiting before GitHub calls, by reason.");
        _feedbackEvents = meter.CreateCounter<long>("criticbot.feedback.events", description: "Maintainers' feedback recorded, by kind (reaction, reply, command_good, ...) and value (positive, negative, neutral, none).");
        store.FeedbackAppended += FeedbackRecorded;
    }

    private void FeedbackRecorded(FeedbackEvent feedback) => _feedbackEvents.Add(1,
        new KeyValuePair<string, object?>("kind", feedback.Kind.ToStored()),
        new KeyValuePair<string, object?>("value", feedback.Value?.ToStored() ?? "none"));

    public void DeliveryReceived(string eventName, string result) =>
        _deliveriesReceived.Add(1, new("event", EventLabel(eventName)), new("result", result));

    public void DeliveryRejected(DeliveryRejection reason) => _deliveriesRejected.Add(1, new KeyValuePair<string, object?>("reason", Snake(reason.ToString())));

    public void DeliveryProcessed(DeliveryStatus result) => _deliveriesFinished.Add(1, new KeyValuePair<string, object?>("result", result.ToStored()));

    public void DeliveryRetried() => _deliveriesFinished.Add(1, new KeyValuePair<string, object?>("result", "retry"));

    /// <summary>Counts a finished review, its posted comments and its dropped candidates; returns it unchanged (so a call site stays one line).</summary>
    public ReviewOutcome Reviewed(ReviewOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        _reviews.Add(1, new KeyValuePair<string, object?>("outcome", outcome.Status.ToStored()));
        foreach (var placement in outcome.Comments.GroupBy(c => c.Placement))
        {
            _commentsPosted.Add(placement.Count(), new KeyValuePair<string, object?>("placement", placement.Key == CommentPlacement.Inline ? "inline" : "body"));
        }

        foreach (var reason in outcome.Candidates.Where(c => c.ReasonCode != CandidateReason.Kept).GroupBy(c => c.ReasonCode))
        {
            _commentsDropped.Add(reason.Count(), new KeyValuePair<string, object?>("reason", reason.Key.WireName()));
        }

        return outcome;
    }

    public void ReviewFailed() => _reviews.Add(1, new KeyValuePair<string, object?>("outcome", "failed"));

    public void ModelCall(TimeSpan elapsed, int promptTokens, int cachedPromptTokens, int completionTokens)
    {
        _modelCallDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("outcome", "ok"));
        _modelTokens.Add(promptTokens, new KeyValuePair<string, object?>("kind", "prompt"));
        _modelTokens.Add(cachedPromptTokens, new KeyValuePair<string, object?>("kind", "cached_prompt"));
        _modelTokens.Add(completionTokens, new KeyValuePair<string, object?>("kind", "completion"));
    }

    public void ModelError(TimeSpan elapsed, string kind)
    {
        _modelCallDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("outcome", "error"));
        _modelErrors.Add(1, new KeyValuePair<string, object?>("kind", kind));
    }

    /// <summary>One GitHub response; <paramref name="rateLimitRemaining"/> is its x-ratelimit-remaining header, if any.</summary>
    public void GitHubCall(HttpMethod method, int status, string? rateLimitRemaining)
    {
        _gitHubCalls.Add(1, new("method", method.Method), new("status", status));
        if (long.TryParse(rateLimitRemaining, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var remaining))
        {
            Interlocked.Exchange(ref _rateLimitRemaining, remaining);
        }
    }

    public void GitHubWait(GitHubWaitReason reason, TimeSpan wait)
    {
        var label = new KeyValuePair<string, object?>("reason", Snake(reason.ToString()));
        _gitHubWaits.Add(1, label);
        _gitHubWaitSeconds.Add(Math.Max(0, wait.TotalSeconds), label);
    }

    private IEnumerable<Measurement<long>> ObserveDepth()
    {
        if (Snapshot() is not { } snapshot)
            return [];
        return [new(snapshot.Pending, new KeyValuePair<string, object?>("status", "pending")), new(snapshot.Processing, new KeyValuePair<string, object?>("status", "processing"))];
    }

    private IEnumerable<Measurement<double>> ObserveOldestAge()
    {
        if (Snapshot() is not { } snapshot)
            return [];
        var age = snapshot.OldestReceivedAt is { } oldest ? Math.Max(0, (_time.GetUtcNow() - oldest).TotalSeconds) : 0;
        return [new(age)];
    }

    private IEnumerable<Measurement<long>> ObserveRateLimit()
    {
        var remaining = Interlocked.Read(ref _rateLimitRemaining);
        return remaining < 0 ? [] : [new(remaining)];
    }

    /// <summary>The inbox as the database sees it, or null when it does not answer (the gauges then report nothing).</summary>
    private InboxSnapshot? Snapshot()
    {
        var now = _time.GetUtcNow();
        lock (_snapshotGate)
        {
            if (_lastSnapshot is { } last && now - last.At < SnapshotReuse)
                return last.Snapshot;
        }

        try
        {
            // Observable callbacks are synchronous; the query is one indexed aggregate, bounded by this timeout.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            var snapshot = _store.GetInboxSnapshotAsync(timeout.Token).GetAwaiter().GetResult();
            lock (_snapshotGate)
                _lastSnapshot = (snapshot, now);
            return snapshot;
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or OperationCanceledException or InvalidOperationException or IOException or TimeoutException)
        {
            return null;
        }
    }

    // Event names come from a request header: only GitHub's own shape of name becomes a label value.
    private static string EventLabel(string eventName) =>
        eventName.Length is > 0 and <= 40 && eventName.All(c => c is (>= 'a' and <= 'z') or '_') ? eventName : "other";

    private static string Snake(string pascal) =>
        string.Concat(pascal.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString()));
}
