using CriticBot.Engine.Safety;

namespace CriticBot.Engine.Tests.Safety;

public sealed class TerminalTextTests
{
    [Theory]
    [InlineData("plain\ttext\nnext", "plain\ttext\nnext")]
    [InlineData("\u001b[31mred\u001b[0m", "red")]
    [InlineData("\u001b[2J\u001b[1;1Hclear", "clear")]
    [InlineData("\u001b]0;title\u0007after", "after")]
    [InlineData("\u001b]8;;https://evil.example\u001b\\link\u001b]8;;\u001b\\", "link")]
    [InlineData("a\rb\u0008c\u0000d\u007fe", "abcde")]
    [InlineData("\u009b31mC1\u0085", "31mC1")]
    [InlineData("\u001bcreset", "reset")]
    [InlineData("trailing\u001b", "trailing")]
    [InlineData("\u001b]unterminated", "")]
    public void Control_sequences_and_characters_are_removed(string input, string expected) =>
        Assert.Equal(expected, TerminalText.Clean(input));
}
