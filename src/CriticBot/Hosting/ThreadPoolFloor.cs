namespace CriticBot.Hosting;

/// <summary>
/// The thread pool's minimum for the service. Reviews run long synchronous steps on pool threads (token counting,
/// JSON and Markdown work, SQLite, whose async calls complete synchronously, and the single writer's fsync). With the
/// default minimum of one thread per core, two such steps on a 2-core host leave every intake request queued until
/// the pool injects more threads, a few a second: measured as intake stalls of 0.7-1 s at p99 while 10 pull requests
/// were reviewed (docs/performance.md, "Many reviews at once"). Reviews now run on their own threads by default
/// (<c>Inbox:ReviewThreads</c>, ReviewScheduler), but lease renewal, I/O completions and the SQLite writer still
/// run on the pool, and with <c>Inbox:ReviewThreads</c> 0 the reviews themselves do; the floor covers both.
/// Threads above the minimum are still only created when work waits, and idle ones retire.
/// </summary>
public static class ThreadPoolFloor
{
    /// <summary>Enough for intake to get a thread at once beside every review step the default settings run.</summary>
    public const int MinimumWorkerThreads = 32;

    /// <summary>Raises the pool's minimum worker threads to <see cref="MinimumWorkerThreads"/>; never lowers it.</summary>
    public static void Raise()
    {
        ThreadPool.GetMinThreads(out var workers, out var completionPorts);
        if (workers < MinimumWorkerThreads)
        {
            ThreadPool.SetMinThreads(MinimumWorkerThreads, completionPorts);
        }
    }
}
