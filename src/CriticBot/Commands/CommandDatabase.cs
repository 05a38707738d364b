using CriticBot.Storage;
using Microsoft.Extensions.Configuration;

namespace CriticBot.Commands;

/// <summary>
/// The existing database a maintenance command (<c>forget</c>, <c>stats</c>) works on: <c>CRITICBOT_DATABASE</c> from
/// the environment, else appsettings.json next to the executable, with the storage settings validated.
/// </summary>
internal static class CommandDatabase
{
    /// <summary>The database's location; null after writing the one-line reason to <paramref name="stderr"/> (exit 2).</summary>
    public static async Task<DatabaseLocation?> LocateExistingAsync(IReadOnlyDictionary<string, string?> environment, TextWriter stderr)
    {
        var options = new StorageOptions();
        new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true, reloadOnChange: false)
            .AddInMemoryCollection(environment.Where(e => !string.IsNullOrEmpty(e.Value)))
            .Build()
            .Bind(options);
        if (new StorageOptionsValidator().Validate(null, options) is { Failed: true } invalid)
        {
            await stderr.WriteLineAsync($"criticbot: {invalid.Failures?.FirstOrDefault() ?? invalid.FailureMessage}");
            return null;
        }

        DatabaseLocation location;
        try
        {
            location = options.ResolveLocation();
        }
        catch (FormatException ex)
        {
            await stderr.WriteLineAsync($"criticbot: CRITICBOT_DATABASE is {ex.Message}");
            return null;
        }

        if (location.Kind == DatabaseKind.Sqlite && !File.Exists(location.Description))
        {
            // Opening would create an empty database: say there is nothing there instead.
            await stderr.WriteLineAsync($"criticbot: no database at {location.Description} (set CRITICBOT_DATABASE).");
            return null;
        }

        return location;
    }
}
