using System.Text;
using CriticBot.Engine.Diff;

namespace CriticBot.Engine.Tests.Diff;

/// <summary>
/// Parsed lines refer to the input instead of copying it: read from a string or from UTF-8 bytes (at any offset),
/// by index or in order, they must give the same kinds, numbers and text as the diff says.
/// </summary>
public sealed class DiffLineViewTests
{
    private const string Diff =
        "diff --git a/a.txt b/a.txt\r\n--- a/a.txt\r\n+++ b/a.txt\r\n" +
        "@@ -5,5 +5,7 @@ section\r\n keep\r\n-gone\r\n+Größe 日本語 🎉\r\n+\r\n\r\n ctx2\r\n+last\r\n \r\n\\ No newline at end of file\r\n";

    private static readonly DiffLine[] Expected =
    [
        new(DiffLineKind.Context, 5, 5, "keep"),
        new(DiffLineKind.Removed, 6, 0, "gone"),
        new(DiffLineKind.Added, 0, 6, "Größe 日本語 🎉"),
        new(DiffLineKind.Added, 0, 7, ""),
        new(DiffLineKind.Context, 7, 8, ""),
        new(DiffLineKind.Context, 8, 9, "ctx2"),
        new(DiffLineKind.Added, 0, 10, "last"),
        new(DiffLineKind.Context, 9, 11, ""),
    ];

    public static TheoryData<string> Sources() => ["string", "bytes", "memory at an offset", "span"];

    private static ParsedDiff ParseFrom(string source)
    {
        var utf8 = Encoding.UTF8.GetBytes(Diff);
        switch (source)
        {
            case "string":
                return DiffParser.Parse(Diff);
            case "bytes":
                return DiffParser.Parse(utf8);
            case "memory at an offset":
                var padded = new byte[utf8.Length + 30];
                "garbage\n"u8.CopyTo(padded);
                utf8.CopyTo(padded, 10);
                "\nmore garbage"u8.CopyTo(padded.AsSpan(10 + utf8.Length));
                return DiffParser.Parse(new ReadOnlyMemory<byte>(padded, 10, utf8.Length));
            default:
                return DiffParser.Parse((ReadOnlySpan<byte>)utf8);
        }
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public void Lines_read_in_order_and_by_index_give_the_diff_s_kinds_numbers_and_text(string source)
    {
        var diff = ParseFrom(source);
        Assert.Empty(diff.Warnings);
        var file = Assert.Single(diff.Files);
        var hunk = Assert.Single(file.Hunks);
        Assert.Equal("section", hunk.Section);
        Assert.Equal((3, 1), (file.Additions, file.Deletions));

        Assert.Equal(Expected, hunk.Lines.ToArray());
        Assert.Equal(Expected.Length, hunk.Lines.Count);
        for (var i = Expected.Length - 1; i >= 0; i--)
        {
            Assert.Equal(Expected[i], hunk.Lines[i]);
            Assert.Equal(Expected[i].Text, hunk.Lines[i].Text);
            Assert.Equal(Expected[i].IsTextEmpty, hunk.Lines[i].IsTextEmpty);
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => hunk.Lines[Expected.Length]);
        Assert.Throws<ArgumentOutOfRangeException>(() => hunk.Lines[-1]);
    }

    [Fact]
    public void Invalid_utf8_in_a_line_becomes_replacement_characters_when_read()
    {
        var bytes = Encoding.UTF8.GetBytes("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -0,0 +1,1 @@\n+ab").Concat(new byte[] { 0xC3, 0x28, 0xFF }).Append((byte)'\n').ToArray();
        var line = Assert.Single(Assert.Single(DiffParser.Parse(bytes).Files).Hunks[0].Lines);
        Assert.Equal("ab\uFFFD(\uFFFD", line.Text);
    }

    [Fact]
    public void A_parsed_line_with_new_text_keeps_its_kind_and_numbers()
    {
        var line = DiffParser.Parse(Encoding.UTF8.GetBytes(Diff)).Files[0].Hunks[0].Lines[2];
        var cut = line with { Text = "Grö" };
        Assert.Equal(new DiffLine(DiffLineKind.Added, 0, 6, "Grö"), cut);
        Assert.NotEqual(line, cut);
        Assert.Equal(line.GetHashCode(), new DiffLine(DiffLineKind.Added, 0, 6, "Größe 日本語 🎉").GetHashCode());
    }

    [Fact]
    public void A_hunk_of_a_hundred_thousand_lines_is_read_by_index_without_recounting_from_its_start()
    {
        const int lines = 100_000;
        var text = new StringBuilder($"diff --git a/big b/big\n--- a/big\n+++ b/big\n@@ -1,{lines} +1,{lines} @@\n");
        for (var i = 0; i < lines; i++)
            text.Append(i % 2 == 0 ? " same\n" : "-old\n+new\n");
        var hunk = Assert.Single(Assert.Single(DiffParser.Parse(text.ToString()).Files).Hunks);

        // Numbered once on the first indexed access; every later access is constant time (this loop would take
        // minutes if each access counted from the hunk's start).
        var last = 0;
        for (var i = 0; i < hunk.Lines.Count; i++)
            last = Math.Max(last, hunk.Lines[i].NewLine);
        Assert.Equal(lines, last);
        Assert.Equal(hunk.Lines.Select(l => (l.Kind, l.OldLine, l.NewLine)), Enumerable.Range(0, hunk.Lines.Count).Select(i => (hunk.Lines[i].Kind, hunk.Lines[i].OldLine, hunk.Lines[i].NewLine)));
    }
}
