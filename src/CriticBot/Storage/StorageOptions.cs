using Microsoft.Extensions.Configuration;

namespace CriticBot.Storage;

/// <summary>Where the database lives. Bound from the root configuration so the env name works as-is.</summary>
public sealed class StorageOptions
{
    /// <summary>SQLite file path; a relative path resolves against the current directory.</summary>
    [ConfigurationKeyName("CRITICBOT_DATABASE")]
    public string Database { get; set; } = "criticbot.db";

    public string ResolveDatabasePath() => Path.GetFullPath(Database, Environment.CurrentDirectory);
}
