using System.CommandLine;
using System.Data.Common;
using CriticBot.Storage;

namespace CriticBot.Commands;

/// <summary>
/// <c>criticbot db migrate [--database SETTING]</c>: applies the schema now, for operators who migrate before
/// rolling out replicas. <c>criticbot db copy --from SQLITE_PATH --to CONNECTION_STRING</c>: moves an install
/// from SQLite to PostgreSQL without losing history; safe to run again (it resumes, and copies what is new).
/// </summary>
public static class DbCommand
{
    public const string DatabaseVariable = "CRITICBOT_DATABASE";

    /// <param name="environment">The environment; the process's by default (tests pass their own).</param>
    public static Command Create(IReadOnlyDictionary<string, string?>? environment = null)
    {
        var db = new Command("db", "Database administration: migrate the schema, copy a SQLite install to PostgreSQL.");

        var database = new Option<string?>("--database")
        {
            Description = $"A SQLite path, a PostgreSQL connection string or a postgres:// URL (default: {DatabaseVariable}, else criticbot.db).",
        };
        var migrate = new Command("migrate", "Create or upgrade the schema (serve does this at start-up too).") { database };
        migrate.SetAction((parse, ct) =>
        {
            var setting = parse.GetValue(database);
            if (string.IsNullOrWhiteSpace(setting))
            {
                var variables = environment ?? CommandInput.ProcessEnvironment();
                setting = variables.TryGetValue(DatabaseVariable, out var value) && !string.IsNullOrWhiteSpace(value) ? value : "criticbot.db";
            }

            return MigrateAsync(setting, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, ct);
        });

        var from = new Option<string>("--from") { Description = "The SQLite file to copy from (left as it is, apart from schema upgrades).", Required = true };
        var to = new Option<string>("--to") { Description = "The PostgreSQL connection string or postgres:// URL to copy into.", Required = true };
        var copy = new Command("copy", "Copy every delivery, review and research record from SQLite to PostgreSQL; idempotent and resumable.") { from, to };
        copy.SetAction((parse, ct) => CopyAsync(parse.GetValue(from)!, parse.GetValue(to)!,
            parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, ct));

        db.Subcommands.Add(migrate);
        db.Subcommands.Add(copy);
        return db;
    }

    public static async Task<int> MigrateAsync(string setting, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        if (!TryLocate(setting, "--database", stderr, out var location))
        {
            return ExitCodes.Usage;
        }

        if (location.Kind == DatabaseKind.Sqlite && !Directory.Exists(Path.GetDirectoryName(location.Description)))
        {
            await stderr.WriteLineAsync($"criticbot: --database points into a directory that does not exist: {location.Description}");
            return ExitCodes.Usage;
        }

        try
        {
            await using var store = CriticBotStore.Open(location);
            var applied = await store.MigrateAsync(ct);
            var version = await store.GetSchemaVersionAsync(ct);
            await stdout.WriteLineAsync($"{location.Description}: schema version {version} ({applied} migration(s) applied)");
            return ExitCodes.Success;
        }
        catch (Exception ex) when (IsDatabaseFailure(ex))
        {
            await stderr.WriteLineAsync($"criticbot: cannot migrate {location.Description}: {OneLine(ex.Message)}");
            return ExitCodes.Failure;
        }
    }

    public static async Task<int> CopyAsync(string fromSetting, string toSetting, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        if (!TryLocate(fromSetting, "--from", stderr, out var from) || !TryLocate(toSetting, "--to", stderr, out var to))
        {
            return ExitCodes.Usage;
        }

        if (from.Kind != DatabaseKind.Sqlite || !File.Exists(from.Description))
        {
            await stderr.WriteLineAsync($"criticbot: --from must be an existing SQLite file: {from.Description}");
            return ExitCodes.Usage;
        }

        if (to.Kind != DatabaseKind.PostgreSql)
        {
            await stderr.WriteLineAsync("criticbot: --to must be a PostgreSQL connection string (Host=...;Database=...) or a postgres:// URL");
            return ExitCodes.Usage;
        }

        try
        {
            await using var source = CriticBotStore.Open(from);
            await using var target = CriticBotStore.Open(to);
            // Both at the newest schema, so every column has a place to go.
            await source.MigrateAsync(ct);
            await target.MigrateAsync(ct);
            await stdout.WriteLineAsync($"copying {from.Description} to {to.Description}");
            var results = await new StoreCopier(source, target).CopyAsync(
                table => stdout.WriteLine($"{table.Table}: {table.Copied} copied, {table.Updated} updated, {table.Unchanged} unchanged"), ct);
            await stdout.WriteLineAsync(
                $"done: {results.Sum(r => r.Copied)} copied, {results.Sum(r => r.Updated)} updated, {results.Sum(r => r.Unchanged)} unchanged");
            return ExitCodes.Success;
        }
        catch (Exception ex) when (IsDatabaseFailure(ex) || ex is InvalidOperationException)
        {
            await stderr.WriteLineAsync($"criticbot: copy failed: {OneLine(ex.Message)} (batches already copied stay; run it again once fixed)");
            return ExitCodes.Failure;
        }
    }

    private static bool TryLocate(string setting, string option, TextWriter stderr, out DatabaseLocation location)
    {
        try
        {
            location = DatabaseLocation.Parse(setting);
            return true;
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or NotSupportedException or PathTooLongException)
        {
            stderr.WriteLine($"criticbot: {option}: {OneLine(ex.Message)}");
            location = null!;
            return false;
        }
    }

    private static bool IsDatabaseFailure(Exception ex) =>
        ex is DbException or IOException or UnauthorizedAccessException or TimeoutException or System.Net.Sockets.SocketException;

    private static string OneLine(string message) => string.Join(' ', message.Split((char[])['\r', '\n'], StringSplitOptions.RemoveEmptyEntries));
}
