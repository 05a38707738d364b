using CriticBot.Intake;

namespace CriticBot.Tests.Intake;

public sealed class LogTextTests
{
    [Fact]
    public void Ordinary_text_is_kept_as_it_is() =>
        Assert.Equal("octo-org/widgets 🐙 ünïcode", LogText.Untrusted("octo-org/widgets 🐙 ünïcode"));

    [Fact]
    public void Null_stays_null() => Assert.Null(LogText.Untrusted(null));

    [Fact]
    public void A_megabyte_is_cut_to_the_limit_and_says_how_much_was_left_out()
    {
        var logged = LogText.Untrusted(new string('a', 1_000_000))!;

        Assert.StartsWith(new string('a', LogText.MaxLength) + "…(+999800 chars)", logged, StringComparison.Ordinal);
        Assert.True(logged.Length < LogText.MaxLength + 20);
    }

    [Theory]
    [InlineData("opened\n2026-01-01 [ERR] forged line", "opened?2026-01-01 [ERR] forged line")]
    [InlineData("a\r\u001b[31mred\u0007", "a??[31mred?")]
    [InlineData("evil\u202Egnp.exe", "evil?gnp.exe")]
    [InlineData("x\u2028y\u2029z\u0000", "x?y?z?")]
    public void Control_format_and_separator_characters_and_lone_surrogates_are_replaced(string value, string expected) =>
        Assert.Equal(expected, LogText.Untrusted(value));

    [Fact]
    public void A_lone_surrogate_is_replaced() => Assert.Equal("lone ? surrogate", LogText.Untrusted("lone \ud800 surrogate"));

    [Fact]
    public void A_surrogate_pair_is_never_cut_in_half()
    {
        var logged = LogText.Untrusted(new string('a', 9) + "🐙🐙", 10)!;

        Assert.StartsWith(new string('a', 9) + "…", logged, StringComparison.Ordinal);
    }
}
