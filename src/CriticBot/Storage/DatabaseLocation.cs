using System.Data.Common;
using System.Globalization;
using Npgsql;

namespace CriticBot.Storage;

/// <summary>
/// What CRITICBOT_DATABASE names: a SQLite file path (the embedded default), a PostgreSQL connection string
/// (<c>Host=...;Database=...;Username=...;Password=...</c>) or a <c>postgres://user:pass@host:port/db</c> URL.
/// </summary>
public sealed record DatabaseLocation
{
    private DatabaseLocation(DatabaseKind kind, string target, string description)
    {
        Kind = kind;
        Target = target;
        Description = description;
    }

    public DatabaseKind Kind { get; }

    /// <summary>The full SQLite path or the Npgsql connection string (with its password: never log this).</summary>
    internal string Target { get; }

    /// <summary>Safe for logs and error messages: the path, or the server and database without the password.</summary>
    public string Description { get; }

    public override string ToString() => Description;

    /// <summary>Reads the setting; throws <see cref="FormatException"/> with a message that never repeats a password.</summary>
    public static DatabaseLocation Parse(string setting)
    {
        ArgumentNullException.ThrowIfNull(setting);
        var value = setting.Trim();
        if (value.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
            || value.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            return PostgreSql(FromUrl(value));
        }

        if (LooksLikeConnectionString(value))
        {
            NpgsqlConnectionStringBuilder builder;
            try
            {
                builder = new NpgsqlConnectionStringBuilder(value);
            }
            catch (ArgumentException ex)
            {
                // The message names the bad keyword, not the values.
                throw new FormatException($"not a valid PostgreSQL connection string: {ex.Message}", ex);
            }

            return PostgreSql(builder);
        }

        var path = Path.GetFullPath(value, Environment.CurrentDirectory);
        return new DatabaseLocation(DatabaseKind.Sqlite, path, path);
    }

    /// <summary>"Host=..." (or Server=) anywhere in a key=value list: a file path with "host=" in it is unlikely.</summary>
    private static bool LooksLikeConnectionString(string value)
    {
        if (!value.Contains('=', StringComparison.Ordinal))
        {
            return false;
        }

        try
        {
            var generic = new DbConnectionStringBuilder { ConnectionString = value };
            return generic.ContainsKey("host") || generic.ContainsKey("server");
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static DatabaseLocation PostgreSql(NpgsqlConnectionStringBuilder builder)
    {
        if (string.IsNullOrWhiteSpace(builder.Host))
        {
            throw new FormatException("the PostgreSQL connection names no host (Host=...)");
        }

        if (string.IsNullOrWhiteSpace(builder.Database))
        {
            throw new FormatException("the PostgreSQL connection names no database (Database=...)");
        }

        return new DatabaseLocation(DatabaseKind.PostgreSql, builder.ConnectionString, Describe(builder));
    }

    private static NpgsqlConnectionStringBuilder FromUrl(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw new FormatException("not a valid postgres:// URL (expected postgres://user:password@host:port/database)");
        }

        var builder = new NpgsqlConnectionStringBuilder { Host = uri.Host.Trim('[', ']') };
        if (!uri.IsDefaultPort && uri.Port > 0)
        {
            builder.Port = uri.Port;
        }

        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length > 0)
        {
            builder.Database = database;
        }

        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            builder.Username = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            if (colon >= 0)
            {
                builder.Password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
            }
        }

        // Query parameters are Npgsql keywords (sslmode=require, "Trust Server Certificate"=true, ...).
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals]);
            var value = equals < 0 ? "true" : Uri.UnescapeDataString(pair[(equals + 1)..]);
            try
            {
                builder[key] = value;
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException)
            {
                throw new FormatException($"the postgres:// URL's parameter '{key}' is not understood: {ex.Message}", ex);
            }
        }

        return builder;
    }

    internal static string Describe(NpgsqlConnectionStringBuilder builder) => string.Create(CultureInfo.InvariantCulture,
        $"postgresql://{(string.IsNullOrEmpty(builder.Username) ? "" : builder.Username + "@")}{builder.Host}:{builder.Port}/{builder.Database}");
}
