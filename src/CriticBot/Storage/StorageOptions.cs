using Microsoft.Extensions.Configuration;

namespace CriticBot.Storage;

/// <summary>Where the database lives. Bound from the root configuration so the env name works as-is.</summary>
public sealed class StorageOptions
{
    /// <summary>
    /// A SQLite file path (a relative path resolves against the current directory), a PostgreSQL connection
    /// string, or a postgres:// URL. See <see cref="DatabaseLocation"/>.
    /// </summary>
    [ConfigurationKeyName("CRITICBOT_DATABASE")]
    public string Database { get; set; } = "criticbot.db";

    /// <exception cref="FormatException">The setting is not a usable location (the message holds no password).</exception>
    public DatabaseLocation ResolveLocation() => DatabaseLocation.Parse(Database);
}
