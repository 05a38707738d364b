using CriticBot.Engine.Diff;

namespace CriticBot.Engine.Tests;

public sealed class SmokeTests
{
    [Fact]
    public void Empty_diff_has_no_files() => Assert.Empty(ParsedDiff.Empty.Files);
}
