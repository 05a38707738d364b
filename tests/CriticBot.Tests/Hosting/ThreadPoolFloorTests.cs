using CriticBot.Hosting;
using CriticBot.Tests.Fixtures;

namespace CriticBot.Tests.Serve;

/// <summary>
/// Intake keeps answering while reviews run synchronous steps on pool threads only if the pool has threads to spare
/// at once (issue 12, many reviews at once: measured in docs/performance.md, not timed here).
/// </summary>
public sealed class ThreadPoolFloorTests
{
    [Fact]
    public async Task The_service_raises_the_thread_pool_minimum_above_one_thread_per_core()
    {
        using var database = new TestDatabase();
        await using var service = await TestService.StartAsync(database, settings: new Dictionary<string, string?> { ["Inbox:Enabled"] = "false" });

        ThreadPool.GetMinThreads(out var workers, out _);
        Assert.True(workers >= ThreadPoolFloor.MinimumWorkerThreads, $"the pool's minimum is {workers} worker threads");
        Assert.True(ThreadPoolFloor.MinimumWorkerThreads > Environment.ProcessorCount || workers >= Environment.ProcessorCount);
    }

    [Fact]
    public void Raising_never_lowers_a_higher_minimum()
    {
        ThreadPool.GetMinThreads(out var before, out var completionPorts);
        var higher = Math.Max(before, ThreadPoolFloor.MinimumWorkerThreads) + 8;
        Assert.True(ThreadPool.SetMinThreads(higher, completionPorts));
        try
        {
            ThreadPoolFloor.Raise();
            ThreadPool.GetMinThreads(out var after, out _);
            Assert.Equal(higher, after);
        }
        finally
        {
            ThreadPool.SetMinThreads(Math.Max(before, ThreadPoolFloor.MinimumWorkerThreads), completionPorts);
        }
    }
}
