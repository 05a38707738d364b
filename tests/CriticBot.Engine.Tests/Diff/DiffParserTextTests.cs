using System.Text;
using CriticBot.Engine.Diff;

namespace CriticBot.Engine.Tests.Diff;

/// <summary>Hand-written inputs: GitHub per-file patches, odd headers and broken diffs.</summary>
public sealed class DiffParserTextTests
{
    [Theory]
    [InlineData("")]
    [InlineData("\n\n")]
    public void Empty_diff_has_no_files_and_no_warnings(string text)
    {
        var diff = DiffParser.Parse(text);
        Assert.Empty(diff.Files);
        Assert.Empty(diff.Warnings);
        Assert.Empty(DiffParser.Parse(Encoding.UTF8.GetBytes(text)).Files);
    }

    [Fact]
    public void GitHub_file_patch_parses_hunks_without_headers()
    {
        const string patch = "@@ -1,3 +1,4 @@ class A\n line1\n-line2\n+line two\n+line 2b\n line3\n@@ -10 +11 @@\n-x\n+y";

        var file = DiffParser.ParseFilePatch("src/a.cs", patch);

        Assert.Equal(("src/a.cs", "src/a.cs", FileChangeKind.Modified), (file.Path, file.OldPath, file.Kind));
        Assert.Equal((3, 2), (file.Additions, file.Deletions));
        Assert.Equal(2, file.Hunks.Count);
        Assert.Equal("class A", file.Hunks[0].Section);
        Assert.Equal(
            [
                new(DiffLineKind.Context, 1, 1, "line1"),
                new(DiffLineKind.Removed, 2, 0, "line2"),
                new(DiffLineKind.Added, 0, 2, "line two"),
                new(DiffLineKind.Added, 0, 3, "line 2b"),
                new(DiffLineKind.Context, 3, 4, "line3"),
            ],
            file.Hunks[0].Lines.ToArray<DiffLine>());
        Assert.Equal([new(DiffLineKind.Removed, 10, 0, "x"), new(DiffLineKind.Added, 0, 11, "y")], file.Hunks[1].Lines.ToArray<DiffLine>());
    }

    [Fact]
    public void GitHub_file_patch_for_renamed_and_added_files_keeps_the_given_paths()
    {
        var renamed = DiffParser.ParseFilePatch("new.cs", "@@ -1 +1 @@\n-a\n+b\n", "old.cs", FileChangeKind.Renamed);
        var added = DiffParser.ParseFilePatch("added.cs", "@@ -0,0 +1,2 @@\n+a\n+b\n\\ No newline at end of file\n", "ignored", FileChangeKind.Added);

        Assert.Equal(("new.cs", "old.cs", FileChangeKind.Renamed), (renamed.Path, renamed.OldPath, renamed.Kind));
        Assert.Null(added.OldPath);
        Assert.Equal([1, 2], added.Hunks.Single().Lines.Select(l => l.NewLine));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void GitHub_file_patch_missing_gives_a_file_without_hunks(string? patch)
    {
        var file = DiffParser.ParseFilePatch("big.bin", patch, kind: FileChangeKind.Added);

        Assert.Equal("big.bin", file.Path);
        Assert.Empty(file.Hunks);
        Assert.Equal(FileChangeKind.Added, file.Kind);
    }

    [Fact]
    public void GitHub_file_patch_with_garbage_reports_it()
    {
        var warnings = new List<string>();

        var file = DiffParser.ParseFilePatch("a.cs", "not a hunk\n@@ -1 +1 @@\n-a\n+b\nextra line", warnings: warnings);

        Assert.Single(file.Hunks);
        Assert.Equal(2, warnings.Count);
        Assert.Contains("line 1", warnings[0]);
        Assert.Contains("line 5", warnings[1]);
    }

    [Fact]
    public void Paths_come_from_the_git_line_when_minus_plus_lines_are_absent()
    {
        const string text = "diff --git a/dir/my file.txt b/dir/my file.txt\nold mode 100644\nnew mode 100755\n";

        var file = Assert.Single(DiffParser.Parse(text).Files);

        Assert.Equal("dir/my file.txt", file.Path);
        Assert.True(file.IsModeOnly);
    }

    [Fact]
    public void Quoted_paths_with_escapes_are_decoded()
    {
        const string text =
            "diff --git \"a/my file\\t.txt\" \"b/my file\\t.txt\"\n" +
            "index 1..2 100644\n" +
            "--- \"a/my file\\t.txt\"\n" +
            "+++ \"b/my file\\t.txt\"\n" +
            "@@ -1 +1 @@\n-a\n+b\n" +
            "diff --git a/plain \"b/caf\\303\\251 \\\"q\\\"\"\n" +
            "similarity index 90%\nrename from plain\nrename to \"caf\\303\\251 \\\"q\\\"\"\n";

        var diff = DiffParser.Parse(text);

        Assert.Empty(diff.Warnings);
        Assert.Equal(["my file\t.txt", "café \"q\""], diff.Files.Select(f => f.Path));
        Assert.Equal("plain", diff.Files[1].OldPath);
        Assert.Equal(90, diff.Files[1].Similarity);
    }

    [Fact]
    public void Quoted_paths_on_the_git_line_alone_are_decoded()
    {
        var file = Assert.Single(DiffParser.Parse("diff --git \"a/sp ace\" \"b/sp ace\"\nBinary files \"a/sp ace\" and \"b/sp ace\" differ\n").Files);

        Assert.Equal("sp ace", file.Path);
        Assert.True(file.IsBinary);
    }

    [Fact]
    public void Plain_unified_diff_without_git_header_is_accepted()
    {
        const string text = "--- a/x.c\t2024-01-01 00:00:00\n+++ b/x.c\t2024-01-02 00:00:00\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n";

        var file = Assert.Single(DiffParser.Parse(text).Files);

        Assert.Equal(("x.c", "x.c"), (file.Path, file.OldPath));
        Assert.Equal(3, file.Hunks[0].Lines.Count);
    }

    [Fact]
    public void Hunk_header_with_omitted_counts_means_one()
    {
        Assert.True(DiffBuilderAccess.TryParseHunkHeader("@@ -5 +7 @@ fn()", out var header));
        Assert.Equal((5, 1, 7, 1, "fn()"), header);
        Assert.True(DiffBuilderAccess.TryParseHunkHeader("@@ -0,0 +1 @@", out header));
        Assert.Equal((0, 0, 1, 1, ""), header);
        Assert.True(DiffBuilderAccess.TryParseHunkHeader("@@ -3,0 +4,2 @@", out header));
        Assert.Equal((3, 0, 4, 2, ""), header);
    }

    [Theory]
    [InlineData("@@ -a,1 +1 @@")]
    [InlineData("@@ -1,1 +1")]
    [InlineData("@@ -1,1 1 @@")]
    [InlineData("@@ -99999999999 +1 @@")]
    public void Malformed_hunk_headers_are_rejected(string header) =>
        Assert.False(DiffBuilderAccess.TryParseHunkHeader(header, out _));

    [Fact]
    public void Malformed_hunk_header_is_reported_and_its_body_skipped()
    {
        const string text = "diff --git a/a b/a\n--- a/a\n+++ b/a\n@@ -x +1 @@\n-a\n+b\n@@ -5 +5 @@\n-c\n+d\n";

        var diff = DiffParser.Parse(text);

        var hunk = Assert.Single(diff.Files.Single().Hunks);
        Assert.Equal(5, hunk.OldStart);
        Assert.Equal(2, diff.Warnings.Count);
        Assert.Contains("malformed hunk header", diff.Warnings[0]);
        Assert.Contains("lines 5-6", diff.Warnings[1]);
    }

    [Fact]
    public void Short_hunk_keeps_its_lines_and_warns()
    {
        const string text =
            "diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n@@ -1,5 +1,5 @@\n one\n-two\n+2\n" +
            "diff --git a/b.txt b/b.txt\n--- a/b.txt\n+++ b/b.txt\n@@ -1 +1 @@\n-x\n+y\n";

        var diff = DiffParser.Parse(text);

        Assert.Equal(["a.txt", "b.txt"], diff.Files.Select(f => f.Path));
        Assert.Equal(["one", "two", "2"], diff.Files[0].Hunks.Single().Lines.Select(l => l.Text));
        Assert.Equal((1, 1), (diff.Files[0].Additions, diff.Files[0].Deletions));
        var warning = Assert.Single(diff.Warnings);
        Assert.Contains("ends early", warning);
        Assert.Contains("a.txt", warning);
    }

    [Fact]
    public void Short_hunk_at_end_of_input_warns()
    {
        var diff = DiffParser.Parse("diff --git a/a b/a\n--- a/a\n+++ b/a\n@@ -1,3 +1,3 @@\n a\n");

        Assert.Single(diff.Files.Single().Hunks);
        Assert.Contains("ends early", Assert.Single(diff.Warnings));
    }

    [Fact]
    public void Garbage_between_files_is_skipped_with_one_warning()
    {
        const string text =
            "diff --git a/a b/a\n--- a/a\n+++ b/a\n@@ -1 +1 @@\n-a\n+b\n" +
            "some junk\n+more junk\n" +
            "diff --git a/c b/c\n--- a/c\n+++ b/c\n@@ -1 +1 @@\n-c\n+d\n";

        var diff = DiffParser.Parse(text);

        Assert.Equal(["a", "c"], diff.Files.Select(f => f.Path));
        Assert.Equal("lines 7-8: 2 unrecognised lines skipped", Assert.Single(diff.Warnings));
    }

    [Fact]
    public void Text_before_the_first_file_is_skipped_silently()
    {
        var diff = DiffParser.Parse("commit 123\nAuthor: x\n\n    message\n\ndiff --git a/a b/a\n--- a/a\n+++ b/a\n@@ -1 +1 @@\n-a\n+b\n");

        Assert.Single(diff.Files);
        Assert.Empty(diff.Warnings);
    }

    [Fact]
    public void Hunk_without_file_header_warns()
    {
        var diff = DiffParser.Parse("@@ -1 +1 @@\n-a\n+b\n");

        Assert.Empty(diff.Files);
        Assert.Contains("without a file header", Assert.Single(diff.Warnings));
    }

    [Fact]
    public void Combined_merge_diff_is_skipped_with_a_warning()
    {
        var diff = DiffParser.Parse("diff --cc a.txt\nindex 1,2..3\n@@@ -1,1 -1,1 +1,1 @@@\n- a\n -b\n++c\ndiff --git a/z b/z\n--- a/z\n+++ b/z\n@@ -1 +1 @@\n-a\n+b\n");

        Assert.Equal("z", Assert.Single(diff.Files).Path);
        Assert.Contains("combined", Assert.Single(diff.Warnings));
    }

    [Fact]
    public void Removed_line_that_looks_like_a_header_is_content()
    {
        const string text = "diff --git a/a b/a\n--- a/a\n+++ b/a\n@@ -1,2 +1,2 @@\n--- a/not-a-header\n+++ b/not-a-header\n x\n";

        var diff = DiffParser.Parse(text);

        Assert.Empty(diff.Warnings);
        Assert.Equal(
            [new(DiffLineKind.Removed, 1, 0, "-- a/not-a-header"), new(DiffLineKind.Added, 0, 1, "++ b/not-a-header"), new(DiffLineKind.Context, 2, 2, "x")],
            diff.Files.Single().Hunks.Single().Lines.ToArray<DiffLine>());
    }

    [Fact]
    public void Empty_context_line_without_its_space_is_accepted()
    {
        var diff = DiffParser.Parse("diff --git a/a b/a\n--- a/a\n+++ b/a\n@@ -1,3 +1,3 @@\n a\n\n-b\n+c\n");

        Assert.Empty(diff.Warnings);
        Assert.Equal(new DiffLine(DiffLineKind.Context, 2, 2, ""), diff.Files.Single().Hunks.Single().Lines[1]);
    }

    [Fact]
    public void Extra_body_lines_beyond_the_header_counts_are_reported()
    {
        var diff = DiffParser.Parse("diff --git a/a b/a\n--- a/a\n+++ b/a\n@@ -1 +1 @@\n-a\n+b\n+c\n");

        Assert.Equal(2, diff.Files.Single().Hunks.Single().Lines.Count);
        Assert.Equal("line 7: unrecognised line skipped", Assert.Single(diff.Warnings));
    }

    [Fact]
    public void Binary_files_lines_mark_added_and_deleted()
    {
        const string text =
            "diff --git a/n.bin b/n.bin\nnew file mode 100644\nindex 0000000..1\nBinary files /dev/null and b/n.bin differ\n" +
            "diff --git a/d.bin b/d.bin\ndeleted file mode 100644\nindex 1..0000000\nBinary files a/d.bin and /dev/null differ\n";

        var diff = DiffParser.Parse(text);

        Assert.Equal([("n.bin", FileChangeKind.Added), ("d.bin", FileChangeKind.Deleted)], diff.Files.Select(f => (f.Path, f.Kind)));
        Assert.All(diff.Files, f => Assert.True(f.IsBinary));
    }

    [Fact]
    public void Invalid_utf8_anywhere_never_throws()
    {
        byte[] bytes = [.. "diff --git a/\xff b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-"u8, 0xF0, 0x9F, .. "\n+"u8, 0xED, 0xA0, 0x80, (byte)'\n'];

        var file = Assert.Single(DiffParser.Parse(bytes).Files);

        Assert.Equal("x", file.Path);
        Assert.All(file.Hunks[0].Lines, l => Assert.Contains('\uFFFD', l.Text));
    }

    [Fact]
    public void Long_lines_decode_from_bytes()
    {
        var longText = new string('é', 5000);
        var text = $"diff --git a/a b/a\n--- a/a\n+++ b/a\n@@ -1 +1 @@\n-{longText}\n+{longText}x\n";

        var file = Assert.Single(DiffParser.Parse(Encoding.UTF8.GetBytes(text)).Files);

        Assert.Equal(longText + "x", file.Hunks[0].Lines[1].Text);
    }

    [Fact]
    public void Byte_order_mark_is_ignored()
    {
        byte[] bytes = [0xEF, 0xBB, 0xBF, .. "diff --git a/a b/a\n--- a/a\n+++ b/a\n@@ -1 +1 @@\n-a\n+b\n"u8];

        Assert.Equal("a", Assert.Single(DiffParser.Parse(bytes).Files).Path);
    }

    /// <summary>The hunk header parser is internal; this keeps the tuple shape readable in asserts.</summary>
    private static class DiffBuilderAccess
    {
        public static bool TryParseHunkHeader(string line, out (int, int, int, int, string) header)
        {
            var ok = DiffBuilder.TryParseHunkHeader(line, out var oldStart, out var oldCount, out var newStart, out var newCount, out var section);
            header = (oldStart, oldCount, newStart, newCount, section.ToString());
            return ok;
        }
    }
}
