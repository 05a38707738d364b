using CriticBot.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CriticBot.Inbox;

/// <summary>
/// Claims stored deliveries and runs the <see cref="IDeliveryHandler"/> on them: up to MaxConcurrency at once,
/// one at a time per pull request in receipt order (the store's claim enforces that, across processes too).
/// Claims are leases, renewed while a handler runs; a crashed process's claims expire and are resumed.
/// </summary>
public sealed partial class InboxWorker(
    IDeliveryInbox store,
    IDeliveryHandler handler,
    InboxSignal signal,
    IOptions<InboxOptions> options,
    TimeProvider time,
    ILogger<InboxWorker> logger,
    CriticBot.Observability.CriticBotMetrics? metrics = null) : BackgroundService
{
    public const string HandledOutcome = "handled";

    /// <summary>Unique per process start, so a restarted process never mistakes an old claim for its own.</summary>
    public string WorkerId { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.Enabled)
        {
            LogDisabled(logger);
            return;
        }

        var reviewThreads = settings.ReviewThreads ?? ReviewScheduler.DefaultThreadCount;
        LogStarted(logger, WorkerId, settings.MaxConcurrency, reviewThreads);
        using var reviewScheduler = reviewThreads > 0 ? new ReviewScheduler(reviewThreads) : null;
        _reviewScheduler = reviewScheduler;
        var running = new HashSet<Task>();
        while (!stoppingToken.IsCancellationRequested)
        {
            var foundNothing = await ClaimWhileRoomAsync(running, settings, stoppingToken);

            // Sleep until a handler finishes (room for more), the poll interval passes (due retries, other
            // processes' expired leases), or intake stores something. Under a flood, intake wakes us for nearly
            // every delivery: with no room those wakes are ignored (only a finished handler makes room), and after
            // a claim that found nothing the next one waits a moment, so a flood does not become a stream of claim
            // queries competing with intake for the database.
            using var waitCancellation = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var wakeUps = new List<Task>(running)
            {
                Task.Delay(settings.PollInterval, time, waitCancellation.Token),
            };
            if (running.Count < settings.MaxConcurrency)
            {
                wakeUps.Add(foundNothing ? SignalThenPauseAsync(waitCancellation.Token) : signal.WaitAsync(waitCancellation.Token));
            }

            await Task.WhenAny(wakeUps);
            await waitCancellation.CancelAsync();
            running.RemoveWhere(task => task.IsCompleted);
        }

        // Handlers see the cancelled token and release their deliveries; wait so no claim is left dangling. Then the
        // review threads end (disposal joins them).
        await Task.WhenAll(running);
    }

    /// <summary>Where handlers run: the dedicated review threads while the worker runs (null when Inbox:ReviewThreads is 0).</summary>
    private ReviewScheduler? _reviewScheduler;

    /// <summary>Between claims that found nothing, how long new deliveries alone wait before the next claim.</summary>
    public static readonly TimeSpan EmptyClaimPause = TimeSpan.FromMilliseconds(100);

    private async Task SignalThenPauseAsync(CancellationToken ct)
    {
        await signal.WaitAsync(ct);
        await Task.Delay(EmptyClaimPause, time, ct);
    }

    /// <summary>Claims while there is room; true when a claim found nothing ready.</summary>
    private async Task<bool> ClaimWhileRoomAsync(HashSet<Task> running, InboxOptions settings, CancellationToken stoppingToken)
    {
        try
        {
            while (running.Count < settings.MaxConcurrency && !stoppingToken.IsCancellationRequested)
            {
                var claimed = await store.ClaimNextDeliveryAsync(WorkerId, settings.Lease, time.GetUtcNow(), stoppingToken);
                if (claimed is null)
                {
                    return true;
                }

                running.Add(_reviewScheduler is { } reviews
                    ? reviews.Run(() => ProcessAsync(claimed, settings, stoppingToken))
                    : Task.Run(() => ProcessAsync(claimed, settings, stoppingToken), CancellationToken.None));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // The database hiccuped: keep the worker alive and try again at the next wake-up.
            LogClaimFailed(logger, ex);
        }

        return false;
    }

    private async Task ProcessAsync(ClaimedDelivery claimed, InboxOptions settings, CancellationToken stoppingToken)
    {
        using var scope = logger.BeginScope(new Dictionary<string, object?>
        {
            ["DeliveryId"] = claimed.DeliveryId,
            ["Event"] = claimed.Event,
            ["Repository"] = Intake.LogText.Untrusted(claimed.RepositoryFullName),
            ["PullRequest"] = claimed.PullRequest,
        });
        if (claimed.Attempt > settings.MaxAttempts)
        {
            // Every earlier attempt ended with its process (a crash, an out-of-memory kill) before recording
            // anything: a delivery that takes the process down must not do so forever.
            var reason = $"gave up after {claimed.Attempt - 1} attempts: each ended without an outcome (the process stopped while handling it)";
            await RecordSafelyAsync(() => store.FailDeliveryAsync(claimed.Id, reason, CancellationToken.None));
            metrics?.DeliveryProcessed(DeliveryStatus.Failed);
            LogFailed(logger, claimed.Attempt - 1, reason);
            return;
        }

        using var handlerCancellation = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var claimLost = new StrongBox();
        // On the pool, not the review threads: a renewal must not wait behind other reviews' CPU work.
        var renewal = Task.Run(() => RenewLeaseAsync(claimed.Id, settings.Lease, claimLost, handlerCancellation), CancellationToken.None);
        try
        {
            string outcome;
            try
            {
                outcome = await handler.HandleAsync(claimed, handlerCancellation.Token);
            }
            finally
            {
                await handlerCancellation.CancelAsync();
                await renewal;
            }

            await store.CompleteDeliveryAsync(claimed.Id, string.IsNullOrWhiteSpace(outcome) ? HandledOutcome : outcome, CancellationToken.None);
            metrics?.DeliveryProcessed(DeliveryStatus.Done);
            var loggedAction = Intake.LogText.Untrusted(claimed.Action);
            LogDone(logger, loggedAction, claimed.Attempt);
        }
        catch (Exception) when (claimLost.Value)
        {
            // Another worker owns it now; writing our outcome would overwrite theirs.
            LogClaimLost(logger);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            await RecordSafelyAsync(() => store.ReleaseDeliveryAsync(claimed.Id, CancellationToken.None));
            LogReleased(logger);
        }
        catch (PermanentDeliveryException ex)
        {
            var reason = FailureReason.From(ex);
            await RecordSafelyAsync(() => store.FailDeliveryAsync(claimed.Id, reason, CancellationToken.None));
            metrics?.DeliveryProcessed(DeliveryStatus.Failed);
            LogFailed(logger, claimed.Attempt, reason);
        }
        catch (Exception ex)
        {
            var reason = FailureReason.From(ex);
            if (claimed.Attempt >= settings.MaxAttempts)
            {
                var finalReason = $"gave up after {claimed.Attempt} attempts: {reason}";
                await RecordSafelyAsync(() => store.FailDeliveryAsync(claimed.Id, finalReason, CancellationToken.None));
                metrics?.DeliveryProcessed(DeliveryStatus.Failed);
                LogFailed(logger, claimed.Attempt, finalReason);
            }
            else
            {
                var delay = RetryDelay(claimed.Attempt, settings, ex);
                await RecordSafelyAsync(() => store.RetryDeliveryAsync(claimed.Id, reason, time.GetUtcNow() + delay, CancellationToken.None));
                metrics?.DeliveryRetried();
                LogRetrying(logger, claimed.Attempt, delay, reason);
            }
        }
    }

    /// <summary>Exponential backoff with jitter: base·2^(attempt−1), capped, scaled by a random 50–100%.</summary>
    public static TimeSpan RetryDelay(int attempt, InboxOptions settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var exponential = settings.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, Math.Clamp(attempt - 1, 0, 30));
        var capped = Math.Min(exponential, settings.RetryMaxDelay.TotalMilliseconds);
#pragma warning disable CA5394 // Jitter spreads retries; it protects nothing.
        return TimeSpan.FromMilliseconds(capped * (0.5 + Random.Shared.NextDouble() / 2));
#pragma warning restore CA5394
    }

    /// <summary>
    /// The backoff, or longer when the failure says when trying again can first succeed (<see cref="IRetryAfterHint"/>,
    /// looked for through inner exceptions), capped at <see cref="InboxOptions.MaxRetryAfter"/>.
    /// </summary>
    public static TimeSpan RetryDelay(int attempt, InboxOptions settings, Exception? failure)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var backoff = RetryDelay(attempt, settings);
        for (var cause = failure; cause is not null; cause = cause.InnerException)
        {
            if (cause is IRetryAfterHint { RetryAfter: { } hint })
            {
                var bounded = hint < settings.MaxRetryAfter ? hint : settings.MaxRetryAfter;
                return bounded > backoff ? bounded : backoff;
            }
        }

        return backoff;
    }

    private async Task RenewLeaseAsync(long id, TimeSpan lease, StrongBox claimLost, CancellationTokenSource handlerCancellation)
    {
        using var timer = new PeriodicTimer(lease / 3, time);
        try
        {
            while (await timer.WaitForNextTickAsync(handlerCancellation.Token))
            {
                try
                {
                    if (!await store.ExtendDeliveryLeaseAsync(id, WorkerId, time.GetUtcNow() + lease, handlerCancellation.Token))
                    {
                        claimLost.Value = true;
                        await handlerCancellation.CancelAsync();
                        return;
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Not fatal: the lease has two more renewal periods to run; the next tick tries again.
                    LogRenewFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The handler finished (or we are shutting down): stop renewing.
        }
    }

    private async Task RecordSafelyAsync(Func<Task> write)
    {
        try
        {
            await write();
        }
        catch (Exception ex)
        {
            // The claim's lease will expire and the delivery will be tried again: nothing is lost.
            LogRecordFailed(logger, ex);
        }
    }

    private sealed class StrongBox
    {
        public volatile bool Value;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Inbox worker {WorkerId} started (up to {MaxConcurrency} deliveries at once, on {ReviewThreads} review threads; 0 means the thread pool)")]
    private static partial void LogStarted(ILogger logger, string workerId, int maxConcurrency, int reviewThreads);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Inbox worker is disabled (Inbox:Enabled=false): deliveries are stored, not processed")]
    private static partial void LogDisabled(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Handled delivery (action {Action}, attempt {Attempt})")]
    private static partial void LogDone(ILogger logger, string? action, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Attempt {Attempt} failed, retrying in {Delay}: {Reason}")]
    private static partial void LogRetrying(ILogger logger, int attempt, TimeSpan delay, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Delivery failed after attempt {Attempt}: {Reason}")]
    private static partial void LogFailed(ILogger logger, int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Shutting down: released the delivery for the next process")]
    private static partial void LogReleased(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the claim on the delivery (lease expired and taken over); leaving it to its new owner")]
    private static partial void LogClaimLost(ILogger logger);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not claim deliveries; will try again")]
    private static partial void LogClaimFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not renew a delivery lease")]
    private static partial void LogRenewFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not record a delivery's outcome; its lease will expire and it will be retried")]
    private static partial void LogRecordFailed(ILogger logger, Exception exception);
}
