using System.Data.Common;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace CriticBot.Storage;

/// <summary>
/// One connection that performs every write of this process, committing queued writes in batches (group commit):
/// SQLite allows one writer at a time, and one fsync per batch instead of per write is what makes
/// durable-before-2xx intake fast. Each write runs in its own savepoint so one failing write fails alone.
/// </summary>
internal sealed class SqliteWriter : IAsyncDisposable
{
    private const int MaxBatch = 256;

    private readonly Channel<WriteItem> _queue = Channel.CreateBounded<WriteItem>(
        new BoundedChannelOptions(10_000) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly SqliteConnection _connection;
    private readonly Task _loop;

    public SqliteWriter(SqliteConnection openConnection)
    {
        _connection = openConnection;
        _loop = Task.Run(RunAsync);
    }

    public async Task<T> WriteAsync<T>(Func<DbConnection, Task<T>> work, CancellationToken ct)
    {
        var item = new WriteItem<T>(work);
        await _queue.Writer.WriteAsync(item, ct);
        return await item.Completion.Task;
    }

    private async Task RunAsync()
    {
        var batch = new List<WriteItem>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            await CommitBatchAsync(batch);
            batch.Clear();
        }
    }

    private async Task CommitBatchAsync(List<WriteItem> batch)
    {
        // Plain BEGIN/COMMIT statements rather than SqliteTransaction, so the work items' commands need no
        // transaction object; IMMEDIATE takes the write lock up front (other processes wait via busy timeout).
        try
        {
            Execute(_connection, "BEGIN IMMEDIATE");
            try
            {
                foreach (var item in batch)
                {
                    await item.RunInSavepointAsync(_connection);
                }

                Execute(_connection, "COMMIT");
            }
            catch
            {
                TryRollback();
                throw;
            }
        }
        catch (Exception ex)
        {
            // BEGIN or COMMIT failed: nothing in the batch is durable, so every caller hears about it.
            foreach (var item in batch)
            {
                item.Fail(ex);
            }

            return;
        }

        foreach (var item in batch)
        {
            item.Publish();
        }
    }

    private void TryRollback()
    {
        try
        {
            Execute(_connection, "ROLLBACK");
        }
        catch (SqliteException)
        {
            // No transaction left to roll back (SQLite may have rolled back already).
        }
    }

    internal static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop;
        await _connection.DisposeAsync();
    }

    private abstract class WriteItem
    {
        public abstract Task RunInSavepointAsync(SqliteConnection connection);

        public abstract void Fail(Exception ex);

        public abstract void Publish();
    }

    private sealed class WriteItem<T>(Func<DbConnection, Task<T>> work) : WriteItem
    {
        private T? _result;
        private Exception? _error;

        public TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override async Task RunInSavepointAsync(SqliteConnection connection)
        {
            Execute(connection, "SAVEPOINT write_item");
            try
            {
                // Microsoft.Data.Sqlite completes its "async" calls synchronously: the loop stays on its one connection.
                _result = await work(connection);
                Execute(connection, "RELEASE write_item");
            }
            catch (Exception ex)
            {
                Execute(connection, "ROLLBACK TO write_item");
                Execute(connection, "RELEASE write_item");
                _error = ex;
            }
        }

        public override void Fail(Exception ex) => Completion.TrySetException(ex);

        public override void Publish()
        {
            if (_error is not null)
            {
                Completion.TrySetException(_error);
            }
            else
            {
                Completion.TrySetResult(_result!);
            }
        }
    }
}
