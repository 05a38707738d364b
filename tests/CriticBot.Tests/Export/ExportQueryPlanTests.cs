using CriticBot.Storage;
using CriticBot.Tests.Fixtures;
using Microsoft.Data.Sqlite;

namespace CriticBot.Tests.Export;

/// <summary>
/// The export's speed rests on SQLite walking ix_feedback_events_export alone, in order (migration 6;
/// docs/performance.md, "Export"): a column added to the query but not to the index, or a filter the index
/// cannot serve, would quietly send every event back to the table or through a sort. The plan says which.
/// </summary>
public sealed class ExportQueryPlanTests : IDisposable
{
    private readonly TestDatabase _file = new();

    public void Dispose() => _file.Dispose();

    public static TheoryData<string> Filters => ["none", "since and until", "repositories"];

    [Theory]
    [MemberData(nameof(Filters))]
    public async Task The_event_scan_reads_the_covering_index_in_order(string filter)
    {
        await using (var store = CriticBotStore.Open(_file.Path))
        {
            await store.MigrateAsync(default);
        }

        var exportFilter = filter switch
        {
            "since and until" => new ExportFilter { Since = DateTimeOffset.UnixEpoch, Until = DateTimeOffset.UtcNow },
            "repositories" => new ExportFilter { Repositories = ["o/r", "O/S"] },
            _ => new ExportFilter(),
        };
        var (events, comments, parameters) = CriticBotStore.ExportQueries(exportFilter);

        var eventsPlan = await PlanAsync(events, parameters);
        Assert.Contains("COVERING INDEX ix_feedback_events_export", eventsPlan, StringComparison.Ordinal);
        Assert.DoesNotContain("TEMP B-TREE", eventsPlan, StringComparison.Ordinal);

        // The comments' EXISTS probe finds a comment's events through the same index, without the table.
        var commentsPlan = await PlanAsync(comments, parameters);
        Assert.Contains("COVERING INDEX ix_feedback_events_export", commentsPlan, StringComparison.Ordinal);
        Assert.DoesNotContain("TEMP B-TREE", commentsPlan, StringComparison.Ordinal);
    }

    private async Task<string> PlanAsync(string sql, (string Name, object? Value)[] parameters)
    {
        await using var connection = new SqliteConnection($"Data Source={_file.Path};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        var lines = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            lines.Add(reader.GetString(3));
        }

        return string.Join("\n", lines);
    }
}
