using System.Collections.Concurrent;
using CriticBot.Inbox;
using CriticBot.Storage;
using CriticBot.Tests.Fixtures;

namespace CriticBot.Tests.Inbox;

/// <summary>Handlers (reviews) run on the inbox's dedicated review threads, apart from the pool that serves intake.</summary>
public sealed class ReviewSchedulerTests : IDisposable
{
    private readonly TestDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task A_handler_and_its_continuations_run_on_the_review_threads_which_end_with_the_host()
    {
        var seen = new ConcurrentQueue<(string? Thread, bool OnReviewScheduler, Thread Current)>();
        var handler = new ScriptedHandler(async (_, _) =>
        {
            Record();
            await Task.Delay(10, CancellationToken.None);
            Record();
            await Task.Yield();
            Record();
        });
        var service = await TestService.StartAsync(_database, handler, new Dictionary<string, string?> { ["Inbox:ReviewThreads"] = "2" });
        await using (service)
        {
            var deliveryId = Guid.NewGuid().ToString();
            await service.SendAsync("pull_request", GitHubPayloads.PullRequest("opened"), deliveryId);
            await service.WaitForDeliveryAsync(deliveryId, d => d.Status == DeliveryStatus.Done);
        }

        Assert.Equal(3, seen.Count);
        Assert.All(seen, step =>
        {
            Assert.True(step.OnReviewScheduler, $"a step ran on thread '{step.Thread}' outside the review scheduler");
            Assert.StartsWith("CriticBot review ", step.Thread, StringComparison.Ordinal);
        });

        // Stopping the host ended the review threads (the worker joins them when it stops).
        Assert.All(seen, step => Assert.False(step.Current.IsAlive, $"thread '{step.Thread}' outlived the host"));

        void Record() => seen.Enqueue((Thread.CurrentThread.Name, TaskScheduler.Current is ReviewScheduler, Thread.CurrentThread));
    }

    [Fact]
    public async Task Intake_answers_while_every_review_thread_is_busy_and_other_reviews_wait_for_one()
    {
        using var gate = new ManualResetEventSlim();
        var busy = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new ScriptedHandler((delivery, _) =>
        {
            if (delivery.PullRequest == 1)
            {
                // Synchronous work that holds the only review thread, as CPU-bound review steps do.
                busy.SetResult();
                gate.Wait(TimeSpan.FromSeconds(60), CancellationToken.None);
            }

            return Task.CompletedTask;
        });
        await using var service = await TestService.StartAsync(_database, handler, new Dictionary<string, string?>
        {
            ["Inbox:ReviewThreads"] = "1",
            ["Inbox:MaxConcurrency"] = "4",
        });

        try
        {
            await service.SendAsync("pull_request", GitHubPayloads.PullRequest("opened", number: 1), "pr1");
            await busy.Task.WaitAsync(TimeSpan.FromSeconds(30));

            // The review thread is held: intake is still served (durably stored, 2xx) on the pool.
            using var answer = await service.SendAsync("pull_request", GitHubPayloads.PullRequest("opened", number: 2), "pr2")
                .WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(answer.IsSuccessStatusCode, $"intake answered {(int)answer.StatusCode} while the review thread was busy");

            // PR 2 is claimed (room for 4), but its handler waits for a review thread instead of taking a pool thread.
            await service.WaitForDeliveryAsync("pr2", d => d.Status == DeliveryStatus.Processing);
            Assert.False(gate.IsSet);
            Assert.Equal(0, handler.CallsFor("pr2"));
        }
        finally
        {
            gate.Set();
        }

        await service.WaitForDeliveryAsync("pr1", d => d.Status == DeliveryStatus.Done);
        await service.WaitForDeliveryAsync("pr2", d => d.Status == DeliveryStatus.Done);
    }

    [Fact]
    public async Task A_failure_after_resuming_on_a_review_thread_takes_the_retry_path()
    {
        var handler = new ScriptedHandler(async (delivery, _) =>
        {
            await Task.Yield();
            if (delivery.Attempt == 1)
            {
                throw new HttpRequestException($"upstream 503 on a review thread: {TaskScheduler.Current is ReviewScheduler}");
            }
        });
        await using var service = await TestService.StartAsync(_database, handler, new Dictionary<string, string?> { ["Inbox:ReviewThreads"] = "1" });
        var deliveryId = Guid.NewGuid().ToString();

        await service.SendAsync("pull_request", GitHubPayloads.PullRequest("opened"), deliveryId);

        var record = await service.WaitForDeliveryAsync(deliveryId, d => d.Status == DeliveryStatus.Done);
        Assert.Equal(2, record.Attempts);
        Assert.Equal("HttpRequestException: upstream 503 on a review thread: True", record.LastError);
    }

    [Fact]
    public async Task With_zero_review_threads_handlers_run_on_the_thread_pool()
    {
        var onReviewScheduler = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new ScriptedHandler((_, _) =>
        {
            onReviewScheduler.TrySetResult(TaskScheduler.Current is ReviewScheduler || Thread.CurrentThread.IsThreadPoolThread is false);
            return Task.CompletedTask;
        });
        await using var service = await TestService.StartAsync(_database, handler, new Dictionary<string, string?> { ["Inbox:ReviewThreads"] = "0" });

        await service.SendAsync("pull_request", GitHubPayloads.PullRequest("opened"), Guid.NewGuid().ToString());

        Assert.False(await onReviewScheduler.Task.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task The_scheduler_runs_at_most_its_thread_count_at_once_and_disposal_ends_its_threads()
    {
        var threads = new ConcurrentDictionary<Thread, bool>();
        var running = 0;
        var peak = 0;
        using (var scheduler = new ReviewScheduler(2))
        {
            var work = Enumerable.Range(0, 20).Select(_ => scheduler.Run(async () =>
            {
                threads[Thread.CurrentThread] = true;
                var now = Interlocked.Increment(ref running);
                InterlockedMax(ref peak, now);
                Thread.SpinWait(200_000);
                Interlocked.Decrement(ref running);
                await Task.Yield();
                threads[Thread.CurrentThread] = true;
            }));
            await Task.WhenAll(work).WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(2, scheduler.MaximumConcurrencyLevel);
        }

        Assert.InRange(peak, 1, 2);
        Assert.InRange(threads.Count, 1, 2);
        Assert.All(threads.Keys, thread => Assert.False(thread.IsAlive));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
