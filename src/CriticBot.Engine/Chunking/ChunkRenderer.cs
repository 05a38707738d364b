using System.Globalization;
using System.Text;
using CriticBot.Engine.Diff;

namespace CriticBot.Engine.Chunking;

/// <summary>
/// Renders diff files as the text the critic model reads. The format, per file:
/// <code>
/// ### FILE: src/app.py (modified)
/// @@ -10,7 +10,8 @@ def handler():
///  10 |     context line
/// +11 |     added line
/// -12 |     removed line
/// </code>
/// <list type="bullet">
/// <item>The file line ends with <c>(modified)</c>, <c>(added)</c>, <c>(deleted)</c>, <c>(renamed from OLD)</c> or <c>(copied from OLD)</c>.</item>
/// <item>Each hunk starts with git's header, counts always written out, then its section text if any.</item>
/// <item>Each diff line is its marker (' ' context, '+' added, '-' removed), its line number, <c>" | "</c>, then the
/// text exactly as in the diff. Context and added lines carry their NEW number, removed lines their OLD number:
/// the numbers a review comment anchors to (RIGHT and LEFT side).</item>
/// <item>Every line ends with '\n'; chunks put one blank line between files.</item>
/// </list>
/// Control characters in paths (possible in git's quoted paths) are shown as '?' so a path cannot forge lines.
/// </summary>
public static class ChunkRenderer
{
    public static string RenderFile(FileDiff file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var builder = new StringBuilder();
        AppendFile(builder, file);
        return builder.ToString();
    }

    /// <summary>The files one after another, one blank line between two files (a chunk's text).</summary>
    public static string RenderFiles(IReadOnlyList<FileDiff> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var builder = new StringBuilder();
        for (var i = 0; i < files.Count; i++)
        {
            if (i > 0)
                builder.Append('\n');
            AppendFile(builder, files[i]);
        }

        return builder.ToString();
    }

    internal static void AppendFile(StringBuilder builder, FileDiff file)
    {
        AppendHeader(builder, file);
        foreach (var hunk in file.Hunks)
            AppendHunk(builder, hunk);
    }

    internal static string RenderHeader(FileDiff file)
    {
        var builder = new StringBuilder();
        AppendHeader(builder, file);
        return builder.ToString();
    }

    internal static string RenderHunk(DiffHunk hunk)
    {
        var builder = new StringBuilder();
        AppendHunk(builder, hunk);
        return builder.ToString();
    }

    internal static string RenderHunkHeader(DiffHunk hunk)
    {
        var builder = new StringBuilder();
        AppendHunkHeader(builder, hunk);
        return builder.ToString();
    }

    internal static string RenderLine(DiffLine line)
    {
        var builder = new StringBuilder();
        AppendLine(builder, line);
        return builder.ToString();
    }

    /// <summary>The most chars <see cref="WriteLine"/> can write for <paramref name="line"/>.</summary>
    internal static int MaxLineChars(DiffLine line) => line.MaxTextChars + 16;

    /// <summary>Writes the line exactly as <see cref="RenderLine"/> renders it, without a string; returns the chars written.</summary>
    internal static int WriteLine(DiffLine line, Span<char> destination)
    {
        var (marker, number) = Numbered(line);
        destination[0] = marker;
        number.TryFormat(destination[1..], out var digits, provider: CultureInfo.InvariantCulture);
        var at = 1 + digits;
        " | ".CopyTo(destination[at..]);
        at += 3;
        at += line.CopyTextTo(destination[at..]);
        destination[at] = '\n';
        return at + 1;
    }

    private static (char Marker, int Number) Numbered(DiffLine line) => line.Kind switch
    {
        DiffLineKind.Added => ('+', line.NewLine),
        DiffLineKind.Removed => ('-', line.OldLine),
        _ => (' ', line.NewLine),
    };

    private static void AppendHeader(StringBuilder builder, FileDiff file)
    {
        builder.Append("### FILE: ");
        AppendSafePath(builder, file.Path);
        switch (file.Kind)
        {
            case FileChangeKind.Added:
                builder.Append(" (added)");
                break;
            case FileChangeKind.Deleted:
                builder.Append(" (deleted)");
                break;
            case FileChangeKind.Renamed:
                builder.Append(" (renamed from ");
                AppendSafePath(builder, file.OldPath ?? "?");
                builder.Append(')');
                break;
            case FileChangeKind.Copied:
                builder.Append(" (copied from ");
                AppendSafePath(builder, file.OldPath ?? "?");
                builder.Append(')');
                break;
            default:
                builder.Append(" (modified)");
                break;
        }

        builder.Append('\n');
    }

    private static void AppendSafePath(StringBuilder builder, string path)
    {
        foreach (var c in path)
            builder.Append(char.IsControl(c) ? '?' : c);
    }

    private static void AppendHunk(StringBuilder builder, DiffHunk hunk)
    {
        AppendHunkHeader(builder, hunk);
        foreach (var line in hunk.Lines)
            AppendLine(builder, line);
    }

    private static void AppendHunkHeader(StringBuilder builder, DiffHunk hunk)
    {
        builder.Append(CultureInfo.InvariantCulture, $"@@ -{hunk.OldStart},{hunk.OldCount} +{hunk.NewStart},{hunk.NewCount} @@");
        if (hunk.Section.Length > 0)
        {
            builder.Append(' ');
            foreach (var c in hunk.Section)
                builder.Append(char.IsControl(c) ? '?' : c);
        }

        builder.Append('\n');
    }

    private static void AppendLine(StringBuilder builder, DiffLine line)
    {
        var (marker, number) = Numbered(line);
        builder.Append(marker).Append(number).Append(" | ");
        line.AppendTextTo(builder);
        builder.Append('\n');
    }
}
