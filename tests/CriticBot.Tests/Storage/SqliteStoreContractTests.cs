using CriticBot.Storage;
using CriticBot.Tests.Fixtures;

namespace CriticBot.Tests.Storage;

/// <summary>The store contract on a SQLite file.</summary>
public sealed class SqliteStoreContractTests : StoreContractTests
{
    private readonly List<TestDatabase> _databases = [];

    protected override DatabaseKind ExpectedKind => DatabaseKind.Sqlite;

    protected override Task<string> CreateDatabaseAsync()
    {
        var database = new TestDatabase();
        _databases.Add(database);
        return Task.FromResult(database.Path);
    }

    protected override void DeleteDatabases()
    {
        foreach (var database in _databases)
        {
            database.Dispose();
        }
    }
}
