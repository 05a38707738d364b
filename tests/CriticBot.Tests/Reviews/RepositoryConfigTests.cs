using CriticBot.Reviews;

namespace CriticBot.Tests.Reviews;

public sealed class RepositoryConfigTests
{
    [Fact]
    public void A_missing_file_means_defaults()
    {
        var config = RepositoryConfig.Parse(null);
        Assert.True(config.Enabled);
        Assert.False(config.ReviewDrafts);
        Assert.Empty(config.Problems);
    }

    [Fact]
    public void Every_setting_is_read()
    {
        var config = RepositoryConfig.Parse("""
            enabled: true
            include: ["src/**", "lib/**/*.cs"]
            exclude:
              - "src/generated/**"
            max_comments: 4
            precision: 0.7
            instructions: |
              We care about SQL injection.
            review_drafts: true
            language: German
            """);
        Assert.Equal(["src/**", "lib/**/*.cs"], config.Include);
        Assert.Equal(["src/generated/**"], config.Exclude);
        Assert.Equal(4, config.MaxComments);
        Assert.Equal(0.7, config.Precision);
        Assert.Equal("We care about SQL injection.", config.Instructions);
        Assert.True(config.ReviewDrafts);
        Assert.Equal("German", config.Language);
        Assert.Empty(config.Problems);
    }

    [Fact]
    public void Disabling_is_honoured()
    {
        Assert.False(RepositoryConfig.Parse("enabled: false").Enabled);
    }

    [Theory]
    [InlineData("precision: 3", "precision must be between 0 and 1")]
    [InlineData("max_comments: lots", "max_comments must be a number")]
    [InlineData("max_comments: 2.5", "max_comments must be a whole number")]
    [InlineData("enabled: maybe", "enabled must be true or false")]
    [InlineData("include: {a: b}", "include must be a list of path globs")]
    [InlineData("precision: [0.5\nmax_comments: 3", "not valid YAML")]
    public void An_invalid_file_falls_back_to_defaults_and_says_why(string yaml, string expected)
    {
        var config = RepositoryConfig.Parse(yaml + "\nreview_drafts: true\n");
        Assert.False(config.ReviewDrafts);
        Assert.Null(config.Precision);
        Assert.Contains(config.Problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void A_list_at_the_top_level_is_not_a_configuration()
    {
        var config = RepositoryConfig.Parse("- just\n- a list");
        Assert.Contains(config.Problems, p => p.Contains("the top level must be a mapping", StringComparison.Ordinal));
    }

    [Fact]
    public void Unknown_keys_are_reported_but_do_not_discard_the_rest()
    {
        var config = RepositoryConfig.Parse("max_coments: 3\nprecision: 0.2");
        Assert.Equal(0.2, config.Precision);
        Assert.Contains(config.Problems, p => p.Contains("unknown setting 'max_coments'", StringComparison.Ordinal));
    }
}
