using CriticBot.Storage;
using CriticBot.Tests.Fixtures;

namespace CriticBot.Tests.Storage;

/// <summary>The store contract on a real PostgreSQL server (a database per test on the run's shared server).</summary>
public sealed class PostgresStoreContractTests : StoreContractTests
{
    protected override DatabaseKind ExpectedKind => DatabaseKind.PostgreSql;

    protected override async Task<string> CreateDatabaseAsync() => await (await PostgresServer.SharedAsync()).CreateDatabaseAsync();
}
