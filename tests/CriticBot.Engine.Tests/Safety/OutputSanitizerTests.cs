using CriticBot.Engine.Safety;

namespace CriticBot.Engine.Tests.Safety;

public sealed class OutputSanitizerTests
{
    private static readonly OutputSanitizer Sanitizer = new("github.com");
    private const char Zwj = OutputSanitizer.Joiner;

    [Theory]
    [InlineData("thanks @octocat!", "thanks @\u200Doctocat!")]
    [InlineData("ask @my-org/security", "ask @\u200Dmy-org/security")]
    [InlineData("@admin fix this", "@\u200Dadmin fix this")]
    [InlineData("see #12 and org/repo#3", "see #\u200D12 and org/repo#\u200D3")]
    public void Mentions_and_references_are_neutralised(string input, string expected)
    {
        Assert.Equal(expected, Sanitizer.Sanitize(input));
    }

    [Fact]
    public void Code_keeps_its_text_but_pings_nobody()
    {
        var output = Sanitizer.Sanitize("call `notify(@team)` and\n```js\nx = '<b>' // @owner\n```\nok <b>");
        Assert.Contains("`notify(@\u200Dteam)`", output, StringComparison.Ordinal);
        Assert.Contains("x = '<b>' // @\u200Downer", output, StringComparison.Ordinal);
        Assert.EndsWith("ok &lt;b>", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)>")]
    [InlineData("a <details><summary>x</summary>", "a &lt;details>&lt;summary>x&lt;/summary>")]
    [InlineData("<!-- hidden -->", "&lt;!-- hidden -->")]
    [InlineData("if a < b and b > c", "if a < b and b > c")]
    public void Raw_html_is_escaped(string input, string expected)
    {
        Assert.Equal(expected, Sanitizer.Sanitize(input));
    }

    [Theory]
    [InlineData("see HTTPS://EVIL.EXAMPLE/x now", "see `HTTPS://EVIL.EXAMPLE/x` now")]
    [InlineData("see Http://evil.example now", "see `Http://evil.example` now")]
    [InlineData("see WWW.EVIL.EXAMPLE now", "see `WWW.EVIL.EXAMPLE` now")]
    public void Bare_links_in_any_letter_case_are_not_clickable(string input, string expected)
    {
        Assert.Equal(expected, Sanitizer.Sanitize(input));
    }

    [Fact]
    public void Images_are_removed_keeping_their_alt_text()
    {
        Assert.Equal("see diagram here", Sanitizer.Sanitize("see ![diagram](https://evil.example/track.png) here"));
        Assert.Equal("x pic", Sanitizer.Sanitize("x ![pic][1]"));
    }

    [Fact]
    public void Links_to_other_hosts_lose_their_link_but_keep_their_text()
    {
        Assert.Equal("read the docs now", Sanitizer.Sanitize("read [the docs](https://evil.example/phish) now"));
        Assert.Equal("go `https://evil.example/x` now", Sanitizer.Sanitize("go https://evil.example/x now"));
        Assert.Equal("go `https://evil.example/x`", Sanitizer.Sanitize("go <https://evil.example/x>"));
        Assert.Equal("click me", Sanitizer.Sanitize("[click me](javascript:alert(1))"));
        Assert.Equal("[r]: `https://evil.example/`", Sanitizer.Sanitize("[r]: https://evil.example/"));
    }

    [Fact]
    public void Links_to_the_repository_host_and_relative_links_stay()
    {
        const string text = "see [PR](https://github.com/o/r/pull/1), [file](src/a.cs) and https://github.com/o/r";
        Assert.Equal(text, Sanitizer.Sanitize(text));
        Assert.Equal("[x](https://ghe.corp/o/r)", new OutputSanitizer("ghe.corp").Sanitize("[x](https://ghe.corp/o/r)"));
    }

    [Fact]
    public void Link_text_is_sanitised_too()
    {
        Assert.Equal($"hi @{Zwj}ceo", Sanitizer.Sanitize("[hi @ceo](https://evil.example)"));
    }

    [Fact]
    public void The_body_is_capped_and_an_open_fence_is_closed()
    {
        var sanitizer = new OutputSanitizer("github.com", maxLength: 100);
        var output = sanitizer.Sanitize("```\n" + new string('x', 500));
        Assert.True(output.Length <= 110);
        Assert.Contains("\n```\n", output, StringComparison.Ordinal);
        Assert.EndsWith("(truncated)", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Quotes_keep_their_text_but_ping_nobody()
    {
        Assert.Equal($"send(\"@{Zwj}all\") <b>", OutputSanitizer.SanitizeCode("send(\"@all\") <b>"));
        Assert.Equal("a@b", OutputSanitizer.SanitizeCode("a@b").Replace(Zwj.ToString(), "", StringComparison.Ordinal));
    }

    [Fact]
    public void Empty_input_gives_empty_output()
    {
        Assert.Equal("", Sanitizer.Sanitize(null));
        Assert.Equal("", Sanitizer.Sanitize(""));
    }
}
