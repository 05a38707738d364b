using System.Globalization;
using System.Text;
using CriticBot.Engine.Diff;

namespace CriticBot.Eval;

/// <summary>A place the buggy (new) side changed: lines <see cref="First"/> to <see cref="Last"/> on the new side.</summary>
public sealed record ChangedBlock(int First, int Last);

/// <summary>
/// Writes a unified diff between two texts (a line LCS, three lines of context) and says which new-side lines
/// changed. Datasets give two versions of a function, not a diff; this keeps import free of git.
/// </summary>
public static class UnifiedDiffWriter
{
    private const int Context = 3;

    public static string Write(string path, string oldText, string newText)
    {
        var (oldLines, newLines) = (SplitLines(oldText), SplitLines(newText));
        var edits = Edits(oldLines, newLines);
        var text = new StringBuilder();
        text.Append("diff --git a/").Append(path).Append(" b/").Append(path).Append('\n');
        text.Append("--- a/").Append(path).Append('\n');
        text.Append("+++ b/").Append(path).Append('\n');

        var changed = Enumerable.Range(0, edits.Count).Where(i => edits[i].Kind != DiffLineKind.Context).ToList();
        var position = 0;
        while (position < changed.Count)
        {
            var start = Math.Max(0, changed[position] - Context);
            var end = changed[position];
            while (position + 1 < changed.Count && changed[position + 1] - end <= 2 * Context)
            {
                end = changed[++position];
            }

            end = Math.Min(edits.Count - 1, end + Context);
            position++;
            var hunk = edits.Skip(start).Take(end - start + 1).ToList();
            var oldCount = hunk.Count(e => e.Kind != DiffLineKind.Added);
            var newCount = hunk.Count(e => e.Kind != DiffLineKind.Removed);
            var oldStart = oldCount == 0 ? edits.Take(start).Count(e => e.Kind != DiffLineKind.Added) : hunk.First(e => e.Kind != DiffLineKind.Added).OldLine;
            var newStart = newCount == 0 ? edits.Take(start).Count(e => e.Kind != DiffLineKind.Removed) : hunk.First(e => e.Kind != DiffLineKind.Removed).NewLine;
            text.Append(CultureInfo.InvariantCulture, $"@@ -{oldStart},{oldCount} +{newStart},{newCount} @@\n");
            foreach (var edit in hunk)
            {
                text.Append(edit.Kind switch { DiffLineKind.Added => '+', DiffLineKind.Removed => '-', _ => ' ' }).Append(edit.Text).Append('\n');
            }
        }

        return text.ToString();
    }

    /// <summary>
    /// The contiguous changes of a diff, on its new side: added lines as they are; a pure deletion as the
    /// new-side line after it (or before it at the end of a hunk), so that a missing line has a place.
    /// </summary>
    public static IReadOnlyList<(string Path, ChangedBlock Block)> ChangedBlocks(ParsedDiff diff)
    {
        ArgumentNullException.ThrowIfNull(diff);
        var blocks = new List<(string, ChangedBlock)>();
        foreach (var file in diff.Files)
        {
            foreach (var hunk in file.Hunks)
            {
                var lines = hunk.Lines;
                var i = 0;
                while (i < lines.Count)
                {
                    if (lines[i].Kind == DiffLineKind.Context)
                    {
                        i++;
                        continue;
                    }

                    var runStart = i;
                    while (i < lines.Count && lines[i].Kind != DiffLineKind.Context)
                    {
                        i++;
                    }

                    var added = lines.Skip(runStart).Take(i - runStart).Where(l => l.Kind == DiffLineKind.Added).Select(l => l.NewLine).ToList();
                    if (added.Count > 0)
                    {
                        blocks.Add((file.Path, new ChangedBlock(added.Min(), added.Max())));
                    }
                    else if (i < lines.Count)
                    {
                        blocks.Add((file.Path, new ChangedBlock(lines[i].NewLine, lines[i].NewLine)));
                    }
                    else if (runStart > 0)
                    {
                        blocks.Add((file.Path, new ChangedBlock(lines[runStart - 1].NewLine, lines[runStart - 1].NewLine)));
                    }
                }
            }
        }

        return blocks;
    }

    /// <summary>The same change the other way round: what was removed is added (a fix instead of a bug).</summary>
    public static string Reverse(string diffText)
    {
        var output = new StringBuilder();
        foreach (var raw in diffText.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
        {
            if (raw.StartsWith("--- ", StringComparison.Ordinal))
            {
                output.Append("+++ ").Append(SwapSidePrefix(raw[4..], "a/", "b/"));
            }
            else if (raw.StartsWith("+++ ", StringComparison.Ordinal))
            {
                output.Append("--- ").Append(SwapSidePrefix(raw[4..], "b/", "a/"));
            }
            else if (raw.StartsWith("@@ ", StringComparison.Ordinal))
            {
                var parts = raw.Split(' ', 4);
                var rest = parts.Length > 3 ? " " + parts[3] : "";
                output.Append("@@ -").Append(parts[2][1..]).Append(" +").Append(parts[1][1..]).Append(rest);
            }
            else if (raw.StartsWith('+') )
            {
                output.Append('-').Append(raw.AsSpan(1));
            }
            else if (raw.StartsWith('-'))
            {
                output.Append('+').Append(raw.AsSpan(1));
            }
            else
            {
                output.Append(raw);
            }

            output.Append('\n');
        }

        // The headers are now in the order +++ then ---: put --- first again.
        var lines = output.ToString().TrimEnd('\n').Split('\n').ToList();
        for (var i = 0; i + 1 < lines.Count; i++)
        {
            if (lines[i].StartsWith("+++ ", StringComparison.Ordinal) && lines[i + 1].StartsWith("--- ", StringComparison.Ordinal))
            {
                (lines[i], lines[i + 1]) = (lines[i + 1], lines[i]);
                i++;
            }
        }

        return string.Join('\n', lines) + "\n";
    }

    private static string SwapSidePrefix(string path, string from, string to) =>
        path.StartsWith(from, StringComparison.Ordinal) ? to + path[from.Length..] : path;

    private static List<string> SplitLines(string text)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').ToList();
        if (lines.Count > 0 && lines[^1].Length == 0)
        {
            lines.RemoveAt(lines.Count - 1);
        }

        return lines;
    }

    /// <summary>A shortest edit script by longest common subsequence (the inputs are single functions or files).</summary>
    private static List<DiffLine> Edits(List<string> a, List<string> b)
    {
        var lcs = new int[a.Count + 1, b.Count + 1];
        for (var i = a.Count - 1; i >= 0; i--)
        {
            for (var j = b.Count - 1; j >= 0; j--)
            {
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
            }
        }

        var edits = new List<DiffLine>();
        var (x, y) = (0, 0);
        while (x < a.Count || y < b.Count)
        {
            if (x < a.Count && y < b.Count && a[x] == b[y])
            {
                edits.Add(new DiffLine(DiffLineKind.Context, x + 1, y + 1, a[x]));
                x++;
                y++;
            }
            else if (y < b.Count && (x == a.Count || lcs[x, y + 1] >= lcs[x + 1, y]))
            {
                // Removals first within a change (as git writes them): take the addition only when it keeps the LCS and no removal does better.
                if (x < a.Count && lcs[x + 1, y] == lcs[x, y + 1])
                {
                    edits.Add(new DiffLine(DiffLineKind.Removed, x + 1, 0, a[x]));
                    x++;
                }
                else
                {
                    edits.Add(new DiffLine(DiffLineKind.Added, 0, y + 1, b[y]));
                    y++;
                }
            }
            else
            {
                edits.Add(new DiffLine(DiffLineKind.Removed, x + 1, 0, a[x]));
                x++;
            }
        }

        return edits;
    }
}
