using CriticBot.Storage;
using Npgsql;

namespace CriticBot.Tests.Storage;

public sealed class DatabaseLocationTests
{
    [Theory]
    [InlineData("criticbot.db")]
    [InlineData("/var/lib/criticbot/data.db")]
    [InlineData("./with=equals.db")]
    public void A_path_is_a_sqlite_file_resolved_against_the_current_directory(string setting)
    {
        var location = DatabaseLocation.Parse(setting);

        Assert.Equal(DatabaseKind.Sqlite, location.Kind);
        Assert.Equal(Path.GetFullPath(setting, Environment.CurrentDirectory), location.Description);
    }

    [Fact]
    public void A_connection_string_is_postgresql_and_its_description_holds_no_password()
    {
        var location = DatabaseLocation.Parse("Host=db.internal;Port=5433;Database=critic;Username=bot;Password=hunter2-secret");

        Assert.Equal(DatabaseKind.PostgreSql, location.Kind);
        Assert.Equal("postgresql://bot@db.internal:5433/critic", location.Description);
        Assert.DoesNotContain("hunter2", location.ToString(), StringComparison.Ordinal);
        Assert.Equal("hunter2-secret", new NpgsqlConnectionStringBuilder(location.Target).Password);
    }

    [Theory]
    [InlineData("postgres://bot:p%40ss%3Aw%2Ford@db.internal:6543/critic?sslmode=require", "p@ss:w/ord", 6543)]
    [InlineData("postgresql://bot:plain@db.internal/critic", "plain", 5432)]
    public void A_url_is_postgresql_with_its_escaped_password_decoded(string url, string password, int port)
    {
        var location = DatabaseLocation.Parse(url);

        Assert.Equal(DatabaseKind.PostgreSql, location.Kind);
        var builder = new NpgsqlConnectionStringBuilder(location.Target);
        Assert.Equal(("db.internal", port, "critic", "bot", password), (builder.Host, builder.Port, builder.Database, builder.Username, builder.Password));
        Assert.DoesNotContain(password, location.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void A_url_passes_its_parameters_to_npgsql()
    {
        var builder = new NpgsqlConnectionStringBuilder(DatabaseLocation.Parse("postgres://u:p@h/d?sslmode=require").Target);

        Assert.Equal(SslMode.Require, builder.SslMode);
    }

    [Theory]
    [InlineData("postgres://u:topsecret@h:5432/", "no database")]
    [InlineData("Host=h;Username=u;Password=topsecret", "no database")]
    [InlineData("Host=h;Database=d;Password=topsecret;Bogus Keyword=1", "not a valid PostgreSQL connection string")]
    [InlineData("postgres://u:topsecret@h/d?nonsense=1", "nonsense")]
    public void Bad_postgresql_settings_are_explained_without_the_password(string setting, string expected)
    {
        var error = Assert.Throws<FormatException>(() => DatabaseLocation.Parse(setting));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("topsecret", error.Message, StringComparison.Ordinal);
    }
}
