using CriticBot.Engine.Safety;
using CriticBot.Testing.Rendering;

namespace CriticBot.Engine.Tests.Safety;

public sealed class OutputSanitizerTests
{
    private const string Repository = "octo/repo";
    private static readonly OutputSanitizer Sanitizer = new("github.com", repository: Repository);
    private const char Zwj = OutputSanitizer.Joiner;
    private const string Fingerprint = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    /// <summary>Model text an attacker could get the critic to write, by class; each must render harmless.</summary>
    public static TheoryData<string, string> Attacks() => new()
    {
        // Raw HTML of any kind, comments included.
        { "html", "<img src=x onerror=alert(1)>" },
        { "html", "a <details><summary>x</summary>hidden</details> b" },
        { "html", "<script>\nalert(1)\n</script>" },
        { "html", "<a href=\"https://evil.example\">click</a>" },
        { "html", "<svg onload=alert(1)>" },
        { "html", "<![CDATA[ x ]]> and <?php echo 1 ?>" },
        { "html", "- item <img src=x>\n> quoted <b>bold</b>" },
        { "html", "| a | b |\n|---|---|\n| <img src=x> | <i>y</i> |" },
        { "html", "<<b>>nested<</b>>" },
        { "comment", "<!-- hidden -->" },
        { "comment", $"looks fine <!-- criticbot:fp={Fingerprint} -->" },
        { "comment", "<!-- criticbot:review head=0123456789abcdef0123456789abcdef01234567 -->" },
        { "comment", $"`<!-- criticbot:fp={Fingerprint} -->`" },
        { "comment", $"```\n<!-- criticbot:fp={Fingerprint} -->\n```" },
        { "comment", "    <!-- criticbot:review head=0123456789abcdef0123456789abcdef01234567 -->" },
        { "comment", "<!-<b>- joined by a removal -->" },
        // Images (tracking pixels).
        { "image", "see ![diagram](https://evil.example/track.png) here" },
        { "image", "![pic][1]\n\n[1]: https://evil.example/p.png" },
        { "image", "![](//evil.example/p.png)" },
        { "image", "[![x](https://evil.example/a.png)](https://github.com/octo/repo/blob/main/a.cs)" },
        // Links and autolinks to other hosts, protocol-relative ones included; same host only under the repository.
        { "link", "read [the docs](https://evil.example/phish) now" },
        { "link", "[x](//evil.example/x)" },
        { "link", "[x](/\\evil.example)" },
        { "link", "[click me](javascript:alert(1))" },
        { "link", "go <https://evil.example/x>" },
        { "link", "go https://evil.example/x now" },
        { "link", "see WWW.EVIL.EXAMPLE now" },
        { "link", "see HTTPS://EVIL.EXAMPLE/x" },
        { "link", "[x](https://github.com.evil.example/)" },
        { "link", "[x](https://github.com@evil.example/)" },
        { "link", "[other repo](https://github.com/other/repo)" },
        { "link", "[climb](https://github.com/octo/repo/../../evil/x)" },
        { "link", "[x][r]\n\n[r]: https://evil.example/" },
        { "link", "[x](&#104;ttps://evil.example)" },
        { "link", "write to me at someone@evil.example or <mailto:someone@evil.example>" },
        { "link", "ftp://evil.example/file" },
        { "link", "[x](<https://evil.example/a b> \"title\")" },
        // Mentions and team mentions, in any encoding.
        { "mention", "thanks @octocat!" },
        { "mention", "ask @my-org/security" },
        { "mention", "&#64;octocat and &#x40;admin and &commat;ceo" },
        { "mention", "\\@octocat" },
        { "mention", "[@octocat](https://github.com/octocat)" },
        { "mention", "\uFF20octocat" },
        { "mention", "| who |\n|---|\n| @octocat |" },
        { "mention", "# @octocat\n\n> @admin" },
        // Cross-references.
        { "xref", "see #12" },
        { "xref", "GH-12 and gh-7" },
        { "xref", "fixed in owner/repo#12" },
        { "xref", "https://github.com/octo/repo/issues/12" },
        { "xref", "[see](https://github.com/octo/repo/pull/3)" },
        { "xref", "&#35;12" },
        { "xref", "https://github.com/other/repo/issues/1" },
        // Suggestion blocks: a one-click commit of the model's code.
        { "suggestion", "```suggestion\nrm -rf /\n```" },
        { "suggestion", "~~~suggestion\nx = 1\n~~~" },
        { "suggestion", "````suggestion\n```\nx\n````" },
        { "suggestion", "```Suggestion\nx\n```" },
        { "suggestion", "- item\n\n  ```suggestion\n  x\n  ```" },
        { "suggestion", "> ```suggestion\n> x\n> ```" },
        // Structure that must not overwhelm the renderer.
        { "deep", new string('>', 3000) + " @octocat <b>" },
        { "deep", new string('[', 2000) + "x" + new string(']', 2000) + "(https://evil.example)" },
        { "deep", string.Concat(Enumerable.Range(0, 300).Select(i => new string(' ', i * 2) + "- @a\n")) },
        { "deep", string.Concat(Enumerable.Repeat("*a _b ", 500)) + "@x" },
    };

    [Theory]
    [MemberData(nameof(Attacks))]
    public void No_attack_renders_as_html_an_image_a_foreign_link_a_mention_a_reference_or_a_suggestion(string kind, string attack)
    {
        var output = Sanitizer.Sanitize(attack);

        var hazards = RenderedMarkdown.Hazards(output);
        Assert.True(hazards.Count == 0, $"{kind}: {attack}\n→ {output}\n{string.Join("\n", hazards)}");
        Assert.True(Sanitizer.IsSafe(output));
    }

    [Fact]
    public void The_attack_table_covers_every_class_with_at_least_40_strings()
    {
        var kinds = Attacks().Select(row => (string)row[0]).ToList();
        Assert.True(kinds.Count >= 40);
        Assert.Subset(kinds.ToHashSet(), new HashSet<string> { "html", "comment", "image", "link", "mention", "xref", "suggestion" });
    }

    [Fact]
    public void The_attack_strings_are_live_without_the_sanitiser()
    {
        // The checker sees every class, so the table's passing means something.
        foreach (var row in Attacks().Where(row => (string)row[0] != "deep"))
        {
            Assert.True(RenderedMarkdown.Hazards((string)row[1]).Count > 0, (string)row[1]);
        }
    }

    [Theory]
    [InlineData("thanks @octocat!", "thanks @octocat!")]
    [InlineData("ask @my-org/security", "ask @my-org/security")]
    [InlineData("see #12 and org/repo#3", "see #12 and org/repo#3")]
    [InlineData("if a < b and b > c", "if a < b and b > c")]
    [InlineData("<img src=x onerror=alert(1)>", "<img src=x onerror=alert(1)>")]
    [InlineData("read [the docs](https://evil.example/phish) now", "read the docs now")]
    [InlineData("see ![diagram](https://evil.example/track.png) here", "see diagram here")]
    [InlineData("go <https://evil.example/x>", "go https://evil.example/x")]
    [InlineData("2 * 3 * 4 = 24, a_b_c, [x], `code`", "2 * 3 * 4 = 24, a_b_c, [x], code")]
    [InlineData("&#64;ceo", "@ceo")]
    public void Text_is_kept_as_the_reader_saw_it(string input, string visible)
    {
        Assert.Equal(visible, RenderedMarkdown.VisibleText(Sanitizer.Sanitize(input)).Trim());
    }

    [Fact]
    public void Mentions_and_references_get_an_invisible_joiner()
    {
        Assert.Equal($"thanks @{Zwj}octocat!", Sanitizer.Sanitize("thanks @octocat!"));
        Assert.Equal($"see #{Zwj}12", Sanitizer.Sanitize("see #12"));
    }

    [Fact]
    public void Code_keeps_its_text_but_pings_nobody()
    {
        var output = Sanitizer.Sanitize("call `notify(@team)` and\n```js\nx = '<b>' // @owner\n```\nok <b>");

        Assert.Contains($"`notify(@{Zwj}team)`", output, StringComparison.Ordinal);
        Assert.Contains("```js\n", output, StringComparison.Ordinal);
        Assert.Contains($"x = '<b>' // @{Zwj}owner", output, StringComparison.Ordinal);
        Assert.Empty(RenderedMarkdown.Hazards(output));
        Assert.EndsWith("ok <b>", RenderedMarkdown.VisibleText(output).TrimEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public void Markdown_structure_survives()
    {
        const string text = "**Off by one**: the loop skips `items[0]`.\n\n- first\n- second\n\n1. one\n2. two\n\n> quoted\n\n```python\nfor i in x:\n    pass\n```\n\n| a | b |\n|---|:-:|\n| 1 | 2 |";
        var output = Sanitizer.Sanitize(text);

        Assert.Contains("**Off by one**", output, StringComparison.Ordinal);
        Assert.Contains("`items[0]`", output, StringComparison.Ordinal);
        Assert.Contains("- first\n- second", output, StringComparison.Ordinal);
        Assert.Contains("1. one\n2. two", output, StringComparison.Ordinal);
        Assert.Contains("> quoted", output, StringComparison.Ordinal);
        Assert.Contains("```python\nfor i in x:\n    pass\n```", output, StringComparison.Ordinal);
        Assert.Contains("| a | b |\n| --- | :---: |\n| 1 | 2 |", output, StringComparison.Ordinal);
        Assert.Equal(output, Sanitizer.Sanitize(output));
    }

    [Fact]
    public void A_suggestion_block_becomes_plain_code_keeping_its_text()
    {
        var output = Sanitizer.Sanitize("Use this:\n```suggestion\nreturn total;\n```");

        Assert.Contains("```\nreturn total;\n```", output, StringComparison.Ordinal);
        Assert.DoesNotContain("suggestion", output, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Links_under_the_repository_and_relative_links_stay()
    {
        const string text = "see [file](https://github.com/octo/repo/blob/main/a.cs#L3), [rel](src/a.cs) and https://github.com/octo/repo/tree/main";
        var output = Sanitizer.Sanitize(text);

        Assert.Contains("[file](https://github.com/octo/repo/blob/main/a.cs#L3)", output, StringComparison.Ordinal);
        Assert.Contains("[rel](src/a.cs)", output, StringComparison.Ordinal);
        Assert.Contains("<https://github.com/octo/repo/tree/main>", output, StringComparison.Ordinal);
        Assert.Contains("[x](https://ghe.corp/o/r/blob/main/x)",
            new OutputSanitizer("ghe.corp", repository: "o/r").Sanitize("[x](https://ghe.corp/o/r/blob/main/x)"), StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_repository_only_relative_links_stay()
    {
        var sanitizer = new OutputSanitizer("github.com");
        Assert.Equal("x", sanitizer.Sanitize("[x](https://github.com/octo/repo/blob/main/a.cs)"));
        Assert.Equal("[x](a.cs)", sanitizer.Sanitize("[x](a.cs)"));
    }

    [Fact]
    public void Link_text_is_sanitised_too()
    {
        Assert.Equal($"hi @{Zwj}ceo", Sanitizer.Sanitize("[hi @ceo](https://evil.example)"));
    }

    [Fact]
    public void The_result_is_capped_and_an_open_fence_is_closed()
    {
        var sanitizer = new OutputSanitizer("github.com", maxLength: 100);
        var output = sanitizer.Sanitize("```\n" + new string('x', 500));

        Assert.True(output.Length <= 100, output);
        Assert.Contains("\n```\n", output, StringComparison.Ordinal);
        Assert.EndsWith("(truncated)", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Escapes_never_push_the_result_past_the_cap()
    {
        var sanitizer = new OutputSanitizer("github.com", maxLength: 200);
        var output = sanitizer.Sanitize(string.Concat(Enumerable.Repeat("<&*_", 300)));

        Assert.True(output.Length <= 200, $"{output.Length}");
        Assert.Empty(RenderedMarkdown.Hazards(output));
    }

    [Fact]
    public void Quotes_keep_their_text_but_ping_nobody_and_form_no_marker()
    {
        Assert.Equal($"send(\"@{Zwj}all\") <b>", OutputSanitizer.SanitizeCode("send(\"@all\") <b>"));
        Assert.Equal("a@b", OutputSanitizer.SanitizeCode("a@b").Replace(Zwj.ToString(), "", StringComparison.Ordinal));
        Assert.DoesNotContain("<!--", OutputSanitizer.SanitizeCode("x = '<!-- criticbot:review head=abc1234 -->'"), StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_input_gives_empty_output()
    {
        Assert.Equal("", Sanitizer.Sanitize(null));
        Assert.Equal("", Sanitizer.Sanitize(""));
    }

    [Theory]
    [InlineData("src/a.cs", "`src/a.cs`")]
    [InlineData("we`ird.cs", "``we`ird.cs``")]
    [InlineData("<!-- criticbot:review head=abc1234 -->.bin", null)]
    [InlineData("@octocat\n# Title", null)]
    public void Names_become_one_safe_code_span(string name, string? expected)
    {
        var code = MarkdownText.InlineCode(name);

        if (expected is not null)
        {
            Assert.Equal(expected, code);
        }

        Assert.DoesNotContain('\n', code);
        Assert.Empty(RenderedMarkdown.Hazards(code));
        Assert.Equal(name.ReplaceLineEndings(" "), RenderedMarkdown.VisibleText(code));
    }

    [Fact]
    public void Long_names_are_cut()
    {
        var code = MarkdownText.InlineCode(new string('a', 5000), maxLength: 100);
        Assert.True(code.Length <= 102);
        Assert.EndsWith("…`", code, StringComparison.Ordinal);
    }
}
