using System.Collections.Concurrent;
using System.Text;
using CriticBot.Inbox;
using CriticBot.Storage;
using CriticBot.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace CriticBot.Tests.Inbox;

/// <summary>The inbox worker inside the real host: retries, failures, ordering, shutdown and restart.</summary>
public sealed class InboxWorkerTests : IDisposable
{
    private readonly TestDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task A_handler_that_fails_twice_then_succeeds_is_done_after_three_attempts()
    {
        var handler = new ScriptedHandler((delivery, _) =>
            delivery.Attempt < 3 ? throw new HttpRequestException($"upstream 502 on attempt {delivery.Attempt}") : Task.CompletedTask);
        await using var service = await TestService.StartAsync(_database, handler);
        var deliveryId = Guid.NewGuid().ToString();

        await service.SendAsync("pull_request", GitHubPayloads.PullRequest("opened"), deliveryId);

        var record = await service.WaitForDeliveryAsync(deliveryId, d => d.Status == DeliveryStatus.Done);
        Assert.Equal(3, record.Attempts);
        Assert.Equal([1, 2, 3], handler.Calls.Select(call => call.Attempt));
        Assert.Equal("HttpRequestException: upstream 502 on attempt 2", record.LastError);
    }

    [Fact]
    public async Task A_handler_that_always_fails_leaves_the_delivery_failed_with_the_reason_after_max_attempts()
    {
        var handler = new ScriptedHandler((_, _) => throw new InvalidOperationException("model said no; token ghs_abcdefghijklmnopqrstuvwxyz012345"));
        await using var service = await TestService.StartAsync(_database, handler, new Dictionary<string, string?> { ["Inbox:MaxAttempts"] = "4" });
        var deliveryId = Guid.NewGuid().ToString();

        await service.SendAsync("pull_request", GitHubPayloads.PullRequest("opened"), deliveryId);

        var record = await service.WaitForDeliveryAsync(deliveryId, d => d.Status == DeliveryStatus.Failed);
        Assert.Equal(4, record.Attempts);
        Assert.Equal(4, handler.CallsFor(deliveryId));
        Assert.StartsWith("gave up after 4 attempts: InvalidOperationException: model said no", record.LastError, StringComparison.Ordinal);
        Assert.DoesNotContain("ghs_abcdefghijklmnopqrstuvwxyz012345", record.LastError, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", record.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_permanent_failure_is_not_retried()
    {
        var handler = new ScriptedHandler((_, _) => throw new PermanentDeliveryException("the pull request is gone"));
        await using var service = await TestService.StartAsync(_database, handler);
        var deliveryId = Guid.NewGuid().ToString();

        await service.SendAsync("pull_request", GitHubPayloads.PullRequest("opened"), deliveryId);

        var record = await service.WaitForDeliveryAsync(deliveryId, d => d.Status == DeliveryStatus.Failed);
        Assert.Equal((1, "the pull request is gone"), (record.Attempts, record.LastError));
    }

    [Fact]
    public async Task Deliveries_of_one_pull_request_run_in_order_while_other_pull_requests_run_alongside()
    {
        var firstOfPr1Started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var releaseFirst = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pr2Handled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var order = new ConcurrentQueue<string>();
        var handler = new ScriptedHandler(async (delivery, ct) =>
        {
            order.Enqueue($"{delivery.PullRequest}:{delivery.Action}:start");
            if (delivery is { PullRequest: 1, Action: "opened" })
            {
                firstOfPr1Started.SetResult();
                await releaseFirst.Task.WaitAsync(ct);
            }

            if (delivery.PullRequest == 2)
            {
                pr2Handled.SetResult();
            }

            order.Enqueue($"{delivery.PullRequest}:{delivery.Action}:end");
        });
        await using var service = await TestService.StartAsync(_database, handler);

        await service.SendAsync("pull_request", GitHubPayloads.PullRequest("opened", number: 1), "pr1-opened");
        await firstOfPr1Started.Task.WaitAsync(TimeSpan.FromSeconds(15));
        await service.SendAsync("pull_request", GitHubPayloads.PullRequest("synchronize", number: 1), "pr1-sync");
        await service.SendAsync("pull_request", GitHubPayloads.PullRequest("opened", number: 2), "pr2-opened");

        // PR 2 is handled while PR 1's first delivery is still running; PR 1's second waits for it.
        await pr2Handled.Task.WaitAsync(TimeSpan.FromSeconds(15));
        // A later delivery of another pull request is handled: the worker passed over PR 1's second, which waits.
        await service.SendSentinelAndWaitAsync(pullRequest: 3);
        Assert.Equal(0, handler.CallsFor("pr1-sync"));
        releaseFirst.SetResult();
        await service.WaitForDeliveryAsync("pr1-sync", d => d.Status == DeliveryStatus.Done);

        var pr1 = order.Where(step => step.StartsWith("1:", StringComparison.Ordinal)).ToList();
        Assert.Equal(["1:opened:start", "1:opened:end", "1:synchronize:start", "1:synchronize:end"], pr1);
    }

    [Fact]
    public async Task Shutdown_releases_a_running_delivery_and_the_next_host_resumes_it()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var blocking = new ScriptedHandler(async (_, ct) =>
        {
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
        });
        var deliveryId = Guid.NewGuid().ToString();
        await using (var first = await TestService.StartAsync(_database, blocking))
        {
            await first.SendAsync("pull_request", GitHubPayloads.PullRequest("opened"), deliveryId);
            await started.Task.WaitAsync(TimeSpan.FromSeconds(15));
        }

        await using (var store = CriticBotStore.Open(_database.Path))
        {
            var released = await store.GetDeliveryAsync(deliveryId, default);
            Assert.Equal((DeliveryStatus.Pending, 0, null), (released!.Status, released.Attempts, released.ClaimedBy));
        }

        var finishing = new ScriptedHandler();
        await using var second = await TestService.StartAsync(_database, finishing);
        var record = await second.WaitForDeliveryAsync(deliveryId, d => d.Status == DeliveryStatus.Done);
        Assert.Equal(1, record.Attempts);
        Assert.Equal(deliveryId, Assert.Single(finishing.Calls).DeliveryId);
    }

    [Fact]
    public async Task A_delivery_claimed_by_a_crashed_process_is_resumed_once_its_lease_expires()
    {
        await using (var crashed = CriticBotStore.Open(_database.Path))
        {
            await crashed.MigrateAsync(default);
            await crashed.TryAddDeliveryAsync(new NewDelivery
            {
                DeliveryId = "orphan",
                Event = "pull_request",
                Action = "opened",
                RepositoryFullName = "o/r",
                PullRequest = 1,
                Body = Encoding.UTF8.GetBytes(GitHubPayloads.PullRequest("opened")),
                ReceivedAt = DateTimeOffset.UtcNow.AddMinutes(-10),
            }, default);
            // Claimed ten minutes ago with a one-minute lease, then the process died.
            Assert.NotNull(await crashed.ClaimNextDeliveryAsync("dead-worker", TimeSpan.FromMinutes(1), DateTimeOffset.UtcNow.AddMinutes(-10), default));
        }

        var handler = new ScriptedHandler();
        await using var service = await TestService.StartAsync(_database, handler);

        var record = await service.WaitForDeliveryAsync("orphan", d => d.Status == DeliveryStatus.Done);
        Assert.Equal(2, record.Attempts);
        Assert.Equal(2, Assert.Single(handler.Calls).Attempt);
    }

    [Fact]
    public async Task A_delivery_whose_every_attempt_died_with_its_process_is_failed_not_retried_forever()
    {
        await using (var crashed = CriticBotStore.Open(_database.Path))
        {
            await crashed.MigrateAsync(default);
            await crashed.TryAddDeliveryAsync(new NewDelivery
            {
                DeliveryId = "poison",
                Event = "pull_request",
                Action = "opened",
                RepositoryFullName = "o/r",
                PullRequest = 1,
                Body = Encoding.UTF8.GetBytes(GitHubPayloads.PullRequest("opened")),
                ReceivedAt = DateTimeOffset.UtcNow.AddMinutes(-30),
            }, default);
            // Two processes took it in turn and each died while handling it (the lease ran out, nothing was recorded).
            Assert.NotNull(await crashed.ClaimNextDeliveryAsync("dead-1", TimeSpan.FromMinutes(1), DateTimeOffset.UtcNow.AddMinutes(-20), default));
            Assert.NotNull(await crashed.ClaimNextDeliveryAsync("dead-2", TimeSpan.FromMinutes(1), DateTimeOffset.UtcNow.AddMinutes(-10), default));
        }

        var handler = new ScriptedHandler();
        await using var service = await TestService.StartAsync(_database, handler, new Dictionary<string, string?> { ["Inbox:MaxAttempts"] = "2" });

        var record = await service.WaitForDeliveryAsync("poison", d => d.Status is DeliveryStatus.Failed or DeliveryStatus.Done);
        Assert.Equal(DeliveryStatus.Failed, record.Status);
        Assert.StartsWith("gave up after 2 attempts", record.LastError, StringComparison.Ordinal);
        Assert.Empty(handler.Calls);
    }

    [Fact]
    public async Task A_redelivery_of_a_delivery_that_failed_is_queued_again_and_one_that_succeeded_is_not()
    {
        var redelivered = false;
        var handler = new ScriptedHandler((delivery, _) => delivery.DeliveryId == "flaky" && !Volatile.Read(ref redelivered)
            ? throw new PermanentDeliveryException("GitHub knows no installation 1 of this App (uninstalled?)")
            : Task.CompletedTask);
        await using var service = await TestService.StartAsync(_database, handler);
        var body = GitHubPayloads.PullRequest("opened");

        await service.SendAsync("pull_request", body, "flaky");
        await service.WaitForDeliveryAsync("flaky", d => d.Status == DeliveryStatus.Failed);
        // The operator fixed the cause and pressed "Redeliver" in the App's settings: GitHub sends the same id again.
        Volatile.Write(ref redelivered, true);
        using var again = await service.SendAsync("pull_request", body, "flaky");

        Assert.Equal(System.Net.HttpStatusCode.Accepted, again.StatusCode);
        var record = await service.WaitForDeliveryAsync("flaky", d => d.Status == DeliveryStatus.Done);
        Assert.Equal(1, record.Attempts);
        Assert.Equal(2, handler.CallsFor("flaky"));

        using var third = await service.SendAsync("pull_request", body, "flaky");
        Assert.Equal(System.Net.HttpStatusCode.OK, third.StatusCode);
        await service.SendSentinelAndWaitAsync(pullRequest: 7);
        Assert.Equal(2, handler.CallsFor("flaky"));
    }

    [Fact]
    public async Task The_default_handler_records_installations()
    {
        await using var service = await TestService.StartAsync(_database);
        var deliveryId = Guid.NewGuid().ToString();

        await service.SendAsync("installation", GitHubPayloads.Installation("created", 31337, "acme"), deliveryId);

        await service.WaitForDeliveryAsync(deliveryId, d => d.Status == DeliveryStatus.Done);
        var installation = await service.Store.GetInstallationAsync(31337, default);
        Assert.Equal(("acme", "installation.created"), (installation!.Account, installation.LastAction));
    }

    [Fact]
    public async Task With_the_inbox_disabled_deliveries_are_stored_and_left_pending()
    {
        var handler = new ScriptedHandler();
        await using var service = await TestService.StartAsync(_database, handler, new Dictionary<string, string?> { ["Inbox:Enabled"] = "false" });
        var deliveryId = Guid.NewGuid().ToString();

        await service.SendAsync("pull_request", GitHubPayloads.PullRequest("opened"), deliveryId);

        // The worker ends at once without claiming anything (the event to wait for): the delivery stays pending.
        var worker = Assert.Single(service.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<InboxWorker>());
        await worker.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(DeliveryStatus.Pending, (await service.Store.GetDeliveryAsync(deliveryId, default))!.Status);
        Assert.Empty(handler.Calls);
    }
}
