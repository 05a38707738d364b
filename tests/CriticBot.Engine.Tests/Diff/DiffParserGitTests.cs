using CriticBot.Testing.Git;
using System.Text;
using CriticBot.Engine.Diff;

namespace CriticBot.Engine.Tests.Diff;

/// <summary>Fixtures made by real git in a scratch repository, so the parser meets git's actual output.</summary>
public sealed class DiffParserGitTests : IDisposable
{
    private readonly GitScratchRepo _repo = new();

    public void Dispose() => _repo.Dispose();

    private static string Lines(int from, int to) =>
        string.Concat(Enumerable.Range(from, to - from + 1).Select(i => $"line {i}\n"));

    private static ParsedDiff ParseBothWays(byte[] diffBytes)
    {
        var fromBytes = DiffParser.Parse(diffBytes);
        var fromString = DiffParser.Parse(Encoding.UTF8.GetString(diffBytes));
        Assert.Equal(Describe(fromString), Describe(fromBytes));
        return fromBytes;
    }

    private static string Describe(ParsedDiff diff) =>
        string.Join("\n", diff.Files.SelectMany(f =>
            new[] { $"{f.Kind} {f.OldPath} -> {f.Path} +{f.Additions} -{f.Deletions} bin={f.IsBinary}" }
                .Concat(f.Hunks.SelectMany(h => h.Lines.Select(l => $"{l.Kind} {l.OldLine} {l.NewLine} {l.Text}")))))
        + "\n" + string.Join("\n", diff.Warnings);

    [Fact]
    public void Modified_file_has_exact_line_numbers_on_both_sides()
    {
        _repo.WriteFile("src/app.txt", Lines(1, 20));
        _repo.Commit();
        _repo.WriteFile("src/app.txt", Lines(1, 9) + "inserted\n" + Lines(11, 20).Replace("line 15\n", ""));

        var diff = ParseBothWays(_repo.DiffAgainstHeadBytes());

        var file = Assert.Single(diff.Files);
        Assert.Empty(diff.Warnings);
        Assert.Equal("src/app.txt", file.Path);
        Assert.Equal("src/app.txt", file.OldPath);
        Assert.Equal(FileChangeKind.Modified, file.Kind);
        Assert.Equal(1, file.Additions);
        Assert.Equal(2, file.Deletions);
        var hunk = Assert.Single(file.Hunks);
        Assert.Equal((7, 12, 7, 11), (hunk.OldStart, hunk.OldCount, hunk.NewStart, hunk.NewCount));
        Assert.Equal(
            [
                new(DiffLineKind.Context, 7, 7, "line 7"),
                new(DiffLineKind.Context, 8, 8, "line 8"),
                new(DiffLineKind.Context, 9, 9, "line 9"),
                new(DiffLineKind.Removed, 10, 0, "line 10"),
                new(DiffLineKind.Added, 0, 10, "inserted"),
                new(DiffLineKind.Context, 11, 11, "line 11"),
                new(DiffLineKind.Context, 12, 12, "line 12"),
                new(DiffLineKind.Context, 13, 13, "line 13"),
                new(DiffLineKind.Context, 14, 14, "line 14"),
                new(DiffLineKind.Removed, 15, 0, "line 15"),
                new(DiffLineKind.Context, 16, 15, "line 16"),
                new(DiffLineKind.Context, 17, 16, "line 17"),
                new(DiffLineKind.Context, 18, 17, "line 18"),
            ],
            hunk.Lines.ToArray<DiffLine>());
    }

    [Fact]
    public void Two_hunks_in_one_file_carry_the_function_context()
    {
        // git's default function-name rule takes the nearest line that starts with a letter: the indented rows don't.
        var original = ("def first():\n" + Lines(1, 30) + "def second():\n" + Lines(31, 60)).Replace("line", "    line");
        _repo.WriteFile("m.py", original);
        _repo.Commit();
        _repo.WriteFile("m.py", original.Replace("line 5\n", "line five\n").Replace("line 50\n", "line fifty\n"));

        var file = Assert.Single(ParseBothWays(_repo.DiffAgainstHeadBytes()).Files);

        Assert.Equal(2, file.Hunks.Count);
        Assert.Equal("def first():", file.Hunks[0].Section);
        Assert.Equal("def second():", file.Hunks[1].Section);
        Assert.Contains(new DiffLine(DiffLineKind.Added, 0, 52, "    line fifty"), file.Hunks[1].Lines);
        Assert.Contains(new DiffLine(DiffLineKind.Removed, 52, 0, "    line 50"), file.Hunks[1].Lines);
    }

    [Fact]
    public void Added_file_has_no_old_path_and_only_new_numbers()
    {
        _repo.WriteFile("keep.txt", "x\n");
        _repo.Commit();
        _repo.WriteFile("new/thing.cs", "a\nb\nc\n");

        var file = Assert.Single(ParseBothWays(_repo.DiffAgainstHeadBytes()).Files);

        Assert.Equal(FileChangeKind.Added, file.Kind);
        Assert.Equal("new/thing.cs", file.Path);
        Assert.Null(file.OldPath);
        Assert.Equal("100644", file.NewMode);
        Assert.Equal((3, 0), (file.Additions, file.Deletions));
        var hunk = Assert.Single(file.Hunks);
        Assert.Equal((0, 0, 1, 3), (hunk.OldStart, hunk.OldCount, hunk.NewStart, hunk.NewCount));
        Assert.Equal([1, 2, 3], hunk.Lines.Select(l => l.NewLine));
        Assert.All(hunk.Lines, l => Assert.Equal(0, l.OldLine));
    }

    [Fact]
    public void Added_single_line_file_has_omitted_count()
    {
        _repo.WriteFile("keep.txt", "x\n");
        _repo.Commit();
        _repo.WriteFile("one.txt", "only\n");

        var text = _repo.DiffAgainstHead();
        Assert.Contains("@@ -0,0 +1 @@", text);
        var hunk = Assert.Single(Assert.Single(DiffParser.Parse(text).Files).Hunks);

        Assert.Equal((0, 0, 1, 1), (hunk.OldStart, hunk.OldCount, hunk.NewStart, hunk.NewCount));
        Assert.Equal(new DiffLine(DiffLineKind.Added, 0, 1, "only"), Assert.Single(hunk.Lines));
    }

    [Fact]
    public void Deleted_file_is_found_by_its_old_path_with_old_numbers()
    {
        _repo.WriteFile("gone.txt", Lines(1, 3));
        _repo.WriteFile("keep.txt", "x\n");
        _repo.Commit();
        _repo.DeleteFile("gone.txt");

        var file = Assert.Single(ParseBothWays(_repo.DiffAgainstHeadBytes()).Files);

        Assert.Equal(FileChangeKind.Deleted, file.Kind);
        Assert.Equal("gone.txt", file.Path);
        Assert.Equal("gone.txt", file.OldPath);
        Assert.Equal("100644", file.OldMode);
        Assert.Equal((0, 3), (file.Additions, file.Deletions));
        Assert.Equal([1, 2, 3], file.Hunks[0].Lines.Select(l => l.OldLine));
        Assert.All(file.Hunks[0].Lines, l => Assert.Equal(0, l.NewLine));
    }

    [Fact]
    public void Pure_rename_has_similarity_and_no_hunks()
    {
        _repo.WriteFile("old/name.txt", Lines(1, 10));
        _repo.Commit();
        _repo.MoveFile("old/name.txt", "new/name.txt");

        var file = Assert.Single(ParseBothWays(_repo.DiffAgainstHeadBytes("-M")).Files);

        Assert.Equal(FileChangeKind.Renamed, file.Kind);
        Assert.Equal("new/name.txt", file.Path);
        Assert.Equal("old/name.txt", file.OldPath);
        Assert.Equal(100, file.Similarity);
        Assert.Empty(file.Hunks);
        Assert.False(file.IsModeOnly);
    }

    [Fact]
    public void Rename_with_edits_numbers_lines_against_both_files()
    {
        _repo.WriteFile("a.txt", Lines(1, 20));
        _repo.Commit();
        _repo.DeleteFile("a.txt");
        _repo.WriteFile("b.txt", Lines(1, 20).Replace("line 10\n", "line ten\n"));

        var file = Assert.Single(ParseBothWays(_repo.DiffAgainstHeadBytes("-M")).Files);

        Assert.Equal(FileChangeKind.Renamed, file.Kind);
        Assert.Equal(("b.txt", "a.txt"), (file.Path, file.OldPath));
        Assert.InRange(file.Similarity ?? 0, 50, 99);
        Assert.Contains(new DiffLine(DiffLineKind.Added, 0, 10, "line ten"), file.Hunks[0].Lines);
        Assert.Contains(new DiffLine(DiffLineKind.Removed, 10, 0, "line 10"), file.Hunks[0].Lines);
    }

    [Fact]
    public void Copy_is_detected_with_find_copies_harder()
    {
        _repo.WriteFile("orig.txt", Lines(1, 20));
        _repo.Commit();
        _repo.WriteFile("copy.txt", Lines(1, 20) + "extra\n");

        var diff = ParseBothWays(_repo.DiffAgainstHeadBytes("-C", "-C"));

        var file = Assert.Single(diff.Files);
        Assert.Equal(FileChangeKind.Copied, file.Kind);
        Assert.Equal(("copy.txt", "orig.txt"), (file.Path, file.OldPath));
        Assert.Equal(new DiffLine(DiffLineKind.Added, 0, 21, "extra"), file.Hunks[0].Lines[^1]);
        Assert.Equal(1, file.Additions);
    }

    [Fact]
    public void Binary_file_is_marked_binary_without_hunks_in_both_formats()
    {
        _repo.WriteFile("keep.txt", "x\n");
        _repo.Commit();
        _repo.WriteBytes("img.png", [0x89, 0x50, 0x4E, 0x47, 0, 0, 1, 2, 3, 0, 255]);
        _repo.WriteFile("after.txt", "after\n");

        var plain = ParseBothWays(_repo.DiffAgainstHeadBytes());
        var patch = ParseBothWays(_repo.DiffAgainstHeadBytes("--binary"));

        foreach (var diff in new[] { plain, patch })
        {
            Assert.Empty(diff.Warnings);
            Assert.Equal(["after.txt", "img.png"], diff.Files.Select(f => f.Path));
            var image = diff.Files[1];
            Assert.True(image.IsBinary);
            Assert.Equal(FileChangeKind.Added, image.Kind);
            Assert.Empty(image.Hunks);
            Assert.Equal("after", Assert.Single(diff.Files[0].Hunks[0].Lines).Text);
        }
    }

    [Fact]
    public void Chmod_only_is_a_mode_change_without_hunks()
    {
        _repo.WriteFile("run.sh", "echo hi\n");
        _repo.Commit();
        _repo.Chmod("run.sh", executable: true);

        var file = Assert.Single(ParseBothWays(_repo.DiffAgainstHeadBytes()).Files);

        Assert.Equal(FileChangeKind.Modified, file.Kind);
        Assert.Equal(("100644", "100755"), (file.OldMode, file.NewMode));
        Assert.True(file.IsModeOnly);
        Assert.Empty(file.Hunks);
    }

    [Fact]
    public void No_newline_at_end_of_file_marker_is_not_a_line()
    {
        _repo.WriteFile("n.txt", "a\nb");
        _repo.Commit();
        _repo.WriteFile("n.txt", "a\nc");

        var text = _repo.DiffAgainstHead();
        Assert.Contains("\\ No newline at end of file", text);
        var file = Assert.Single(DiffParser.Parse(text).Files);

        Assert.Equal(
            [
                new(DiffLineKind.Context, 1, 1, "a"),
                new(DiffLineKind.Removed, 2, 0, "b"),
                new(DiffLineKind.Added, 0, 2, "c"),
            ],
            file.Hunks.Single().Lines.ToArray<DiffLine>());
        Assert.Empty(DiffParser.Parse(text).Warnings);
    }

    [Fact]
    public void Crlf_file_lines_lose_the_carriage_return()
    {
        _repo.WriteFile("w.txt", "one\r\ntwo\r\nthree\r\n");
        _repo.Commit();
        _repo.WriteFile("w.txt", "one\r\n2\r\nthree\r\n");

        var diff = ParseBothWays(_repo.DiffAgainstHeadBytes());

        Assert.Empty(diff.Warnings);
        Assert.Equal(["one", "two", "2", "three"], diff.Files.Single().Hunks.Single().Lines.Select(l => l.Text));
    }

    [Fact]
    public void Whole_diff_with_crlf_line_breaks_still_parses()
    {
        _repo.WriteFile("x.txt", "a\nb\n");
        _repo.Commit();
        _repo.WriteFile("x.txt", "a\nc\n");

        var text = _repo.DiffAgainstHead().Replace("\n", "\r\n");
        var file = Assert.Single(DiffParser.Parse(text).Files);

        Assert.Equal("x.txt", file.Path);
        Assert.Equal(["a", "b", "c"], file.Hunks.Single().Lines.Select(l => l.Text));
    }

    [Fact]
    public void Path_with_spaces_survives_header_parsing()
    {
        _repo.WriteFile("my dir/my file.txt", "a\n");
        _repo.Commit();
        _repo.WriteFile("my dir/my file.txt", "b\n");

        var file = Assert.Single(ParseBothWays(_repo.DiffAgainstHeadBytes()).Files);

        Assert.Equal("my dir/my file.txt", file.Path);
        Assert.Equal("my dir/my file.txt", file.OldPath);
    }

    [Fact]
    public void Renamed_path_with_spaces_and_unicode_is_unquoted()
    {
        _repo.WriteFile("old name.txt", Lines(1, 10));
        _repo.Commit();
        _repo.MoveFile("old name.txt", "ünï cødé/nëw \"name\".txt");

        var text = _repo.DiffAgainstHead("-M");
        Assert.Contains("\"b/\\303\\274", text); // git quotes non-ASCII paths as octal UTF-8 bytes
        var file = Assert.Single(DiffParser.Parse(text).Files);

        Assert.Equal("ünï cødé/nëw \"name\".txt", file.Path);
        Assert.Equal("old name.txt", file.OldPath);
        Assert.Equal(FileChangeKind.Renamed, file.Kind);
    }

    [Fact]
    public void Unicode_content_is_kept_exactly()
    {
        _repo.WriteFile("u.txt", "héllo\n");
        _repo.Commit();
        _repo.WriteFile("u.txt", "héllo\n日本語 🎉 emoji\n");

        var file = Assert.Single(ParseBothWays(_repo.DiffAgainstHeadBytes()).Files);

        Assert.Equal(new DiffLine(DiffLineKind.Added, 0, 2, "日本語 🎉 emoji"), file.Hunks[0].Lines[^1]);
    }

    [Fact]
    public void Invalid_utf8_content_becomes_replacement_characters()
    {
        _repo.WriteFile("bad.txt", "ok\n");
        _repo.Commit();
        _repo.WriteBytes("bad.txt", [(byte)'o', (byte)'k', (byte)'\n', (byte)'a', 0xC3, 0x28, 0xFF, (byte)'z', (byte)'\n']);

        var bytes = _repo.DiffAgainstHeadBytes("--text");
        var diff = DiffParser.Parse(bytes);

        var added = diff.Files.Single().Hunks.Single().Lines[^1];
        Assert.Equal(new DiffLine(DiffLineKind.Added, 0, 2, "a\uFFFD(\uFFFDz"), added);
        Assert.Empty(diff.Warnings);
    }

    [Fact]
    public void Many_files_in_one_diff_keep_git_order()
    {
        _repo.WriteFile("a.txt", "1\n");
        _repo.WriteFile("b/c.txt", "1\n");
        _repo.WriteFile("d.txt", "1\n");
        _repo.Commit();
        _repo.WriteFile("a.txt", "2\n");
        _repo.DeleteFile("b/c.txt");
        _repo.WriteFile("d.txt", "1\n2\n");
        _repo.WriteFile("e.txt", "new\n");

        var diff = ParseBothWays(_repo.DiffAgainstHeadBytes());

        Assert.Equal(
            [("a.txt", FileChangeKind.Modified), ("b/c.txt", FileChangeKind.Deleted), ("d.txt", FileChangeKind.Modified), ("e.txt", FileChangeKind.Added)],
            diff.Files.Select(f => (f.Path, f.Kind)));
        Assert.Equal([1, 0, 1, 1], diff.Files.Select(f => f.Additions));
        Assert.Equal([1, 1, 0, 0], diff.Files.Select(f => f.Deletions));
    }

    [Fact]
    public void Format_patch_mail_parses_like_the_plain_diff()
    {
        _repo.WriteFile("a.txt", Lines(1, 5));
        _repo.Commit("base");
        _repo.WriteFile("a.txt", Lines(1, 5).Replace("line 3\n", "line three\n"));
        _repo.WriteFile("b.txt", "new\n");
        _repo.Commit("the change\n\nBody text\n---\nnot a separator");
        _repo.WriteFile("c.txt", "second patch\n");
        _repo.Commit("second");

        var mail = _repo.Git("format-patch", "--stdout", "HEAD~2");
        var plain = _repo.Git("diff", "HEAD~2", "HEAD");

        var fromMail = DiffParser.Parse(mail);
        Assert.Empty(fromMail.Warnings);
        Assert.Equal(Describe(DiffParser.Parse(plain)), Describe(fromMail));
        Assert.Equal(["a.txt", "b.txt", "c.txt"], fromMail.Files.Select(f => f.Path));
    }
}
