using CriticBot.Reviews;

namespace CriticBot.Tests.Reviews;

/// <summary>
/// <c>.github/criticbot.yml</c> written by an attacker (anyone can install the App on a repository they own):
/// every hostile file falls back to the defaults with a reason, and none can take the process down.
/// </summary>
public sealed class HostileRepositoryConfigTests
{
    public static TheoryData<string, string> HostileFiles => new()
    {
        // Deep nesting: building a tree of it recursed until the stack overflowed (exit 134, uncatchable).
        { "instructions: " + new string('[', 20_000) + new string(']', 20_000), "nested deeper than" },
        { string.Concat(Enumerable.Repeat("- ", 5_000)) + "x", "nested deeper than" },
        { "include: [[[[[x]]]]]", "nested deeper than" },
        // Aliases and anchors: a few bytes that expand into a huge tree ("billion laughs").
        { "a: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b]\n", "anchors" },
        { "include: *undefined\n", "alias" },
        { "precision: &p 0.5\nmax_comments: 3\n", "anchors" },
        // Non-finite numbers pass every range check (NaN compares false) and then failed every attempt.
        { "precision: .nan", "precision must be a finite number" },
        { "precision: .NaN", "precision must be a finite number" },
        { "precision: NaN", "precision must be a finite number" },
        { "precision: .inf", "precision must be a finite number" },
        { "precision: -.Inf", "precision must be a finite number" },
        { "max_comments: Infinity", "max_comments must be a finite number" },
        { "precision: 1e999", "precision must be a finite number" },
        // Wrong types.
        { "precision: \"0.5\"", "precision must be a number" },
        { "enabled: 'false'", "enabled must be true or false" },
        { "instructions: {a: b}", "instructions must be text" },
        { "language: [German]", "language must be text" },
        { "exclude: [[a]]", "exclude must be a list of path globs" },
        { "- a\n- b", "top level must be a mapping" },
        { "---\nenabled: true\n---\nenabled: false\n", "only one YAML document" },
        { "enabled: true\nenabled: false\n", "not valid YAML" },
    };

    [Theory]
    [MemberData(nameof(HostileFiles))]
    public void A_hostile_file_falls_back_to_defaults_and_says_why(string yaml, string expected)
    {
        var config = RepositoryConfig.Parse(yaml);

        Assert.Equal(RepositoryConfig.Default with { Problems = config.Problems }, config);
        Assert.Contains(config.Problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void A_file_over_64_KiB_is_not_read()
    {
        var yaml = "enabled: false\ninstructions: |\n" + string.Concat(Enumerable.Repeat("  padding padding padding padding\n", 2_000));

        var config = RepositoryConfig.Parse(yaml);

        Assert.True(config.Enabled);
        Assert.Contains(config.Problems, p => p.Contains("larger than 64 KiB", StringComparison.Ordinal));
    }

    [Fact]
    public void A_file_of_64_KiB_of_brackets_is_refused_without_building_a_tree()
    {
        // The largest file that is read at all, nested as deep as it can be.
        var config = RepositoryConfig.Parse(new string('[', RepositoryConfig.MaxFileBytes / 2) + new string(']', RepositoryConfig.MaxFileBytes / 2));

        Assert.Contains(config.Problems, p => p.Contains("nested deeper than", StringComparison.Ordinal));
    }

    [Fact]
    public void An_unknown_key_is_quoted_short_and_on_one_line()
    {
        var config = RepositoryConfig.Parse("\"" + new string('k', 5_000) + "\\nfake line\": 1\n");

        var note = Assert.Single(config.Problems);
        Assert.True(note.Length < 200, note);
        Assert.DoesNotContain('\n', note);
    }

    [Fact]
    public void Ordinary_finite_numbers_and_plain_booleans_are_still_read()
    {
        var config = RepositoryConfig.Parse("precision: 0.25\nmax_comments: 0\nenabled: true\nreview_drafts: True\n");

        Assert.Empty(config.Problems);
        Assert.Equal((0.25, 0, true, true), (config.Precision, config.MaxComments, config.Enabled, config.ReviewDrafts));
    }
}
