using System.Collections.Concurrent;

namespace CriticBot.Inbox;

/// <summary>
/// Runs the inbox's handlers (reviews) on a fixed number of dedicated background threads, apart from the thread pool
/// that serves intake. The service's code never uses <c>ConfigureAwait(false)</c>, so every continuation of a handler
/// resumes here: the synchronous parts of 50 reviews at once (token counting, JSON and Markdown work, SQLite calls
/// that complete synchronously) share these threads, and the pool (and a core) stays free for intake. Waiting on I/O
/// holds no thread. Code a handler starts with <see cref="Task.Run(Action)"/> runs on the pool as before.
/// See docs/performance.md, "Many reviews at once".
/// </summary>
public sealed class ReviewScheduler : TaskScheduler, IDisposable
{
    [ThreadStatic]
    private static ReviewScheduler? _ownerOfThisThread;

    private readonly BlockingCollection<Task> _queue = [];
    private readonly Thread[] _threads;
    private int _disposed;

    public ReviewScheduler(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        _threads = new Thread[threads];
        for (var i = 0; i < threads; i++)
        {
            // Background threads: they never keep the process alive, even if disposal is skipped.
            _threads[i] = new Thread(RunQueued) { IsBackground = true, Name = $"CriticBot review {i + 1}" };
            _threads[i].Start();
        }
    }

    /// <summary>The default: every core but one for reviews, so intake always has one.</summary>
    public static int DefaultThreadCount => Math.Max(1, Environment.ProcessorCount - 1);

    public override int MaximumConcurrencyLevel => _threads.Length;

    /// <summary>True on one of this scheduler's threads.</summary>
    public bool IsCurrentThread => ReferenceEquals(_ownerOfThisThread, this);

    /// <summary>Starts an async operation whose synchronous parts, and those of everything it awaits, run here.</summary>
    public Task Run(Func<Task> work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.DenyChildAttach, this).Unwrap();

    private void RunQueued()
    {
        _ownerOfThisThread = this;
        foreach (var task in _queue.GetConsumingEnumerable())
        {
            TryExecuteTask(task);
        }
    }

    protected override void QueueTask(Task task)
    {
        try
        {
            _queue.Add(task);
        }
        catch (InvalidOperationException)
        {
            // (ObjectDisposedException included.) Disposed (the host is stopping) while something still had a continuation to run: run it on the pool
            // rather than lose it.
            ThreadPool.UnsafeQueueUserWorkItem(static state => state.Scheduler.TryExecuteTask(state.Task), (Scheduler: this, Task: task), preferLocal: false);
        }
    }

    // Inline only on our own threads, so nothing a review runs ever escapes onto a caller's thread. A task already
    // queued may run inline too: its queued copy is then skipped (TryExecuteTask runs a task once).
    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) => IsCurrentThread && TryExecuteTask(task);

    protected override IEnumerable<Task> GetScheduledTasks() => _queue.ToArray();

    /// <summary>Lets the threads finish what is queued, then waits for them to end (except the calling one, if ours).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _queue.CompleteAdding();
        foreach (var thread in _threads)
        {
            if (thread != Thread.CurrentThread)
            {
                thread.Join();
            }
        }

        if (!IsCurrentThread)
        {
            _queue.Dispose();
        }
    }
}
