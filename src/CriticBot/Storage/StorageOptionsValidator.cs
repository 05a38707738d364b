using Microsoft.Extensions.Options;

namespace CriticBot.Storage;

/// <summary>Refuses a database setting that would lose data or fail later; messages name the setting, never a password.</summary>
public sealed class StorageOptionsValidator : IValidateOptions<StorageOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.Database))
        {
            return ValidateOptionsResult.Fail("CRITICBOT_DATABASE is empty: set it to the SQLite file path (e.g. criticbot.db) or a PostgreSQL connection string.");
        }

        if (options.Database.Trim() == ":memory:")
        {
            return ValidateOptionsResult.Fail("CRITICBOT_DATABASE must be a file path: an in-memory database loses every delivery on restart.");
        }

        DatabaseLocation location;
        try
        {
            location = options.ResolveLocation();
        }
        catch (FormatException ex)
        {
            return ValidateOptionsResult.Fail($"CRITICBOT_DATABASE: {ex.Message}");
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return ValidateOptionsResult.Fail($"CRITICBOT_DATABASE is not a valid path: {ex.Message}");
        }

        if (location.Kind == DatabaseKind.PostgreSql)
        {
            return ValidateOptionsResult.Success;
        }

        var path = location.Description;
        var directory = Path.GetDirectoryName(path);
        if (string.IsNullOrEmpty(directory) || !Directory.Exists(directory))
        {
            return ValidateOptionsResult.Fail($"CRITICBOT_DATABASE points into a directory that does not exist: {directory}");
        }

        if (Directory.Exists(path))
        {
            return ValidateOptionsResult.Fail($"CRITICBOT_DATABASE is a directory, not a file: {path}");
        }

        return ValidateOptionsResult.Success;
    }
}
