using CriticBot.Engine.Diff;

namespace CriticBot.Engine.Tests.Grounding;

/// <summary>Builds FileDiffs from lines written as in a unified diff (" ", "+", "-" then the text).</summary>
internal static class HunkBuilder
{
    public static DiffHunk Hunk(int oldStart, int newStart, params string[] lines)
    {
        var oldLine = oldStart;
        var newLine = newStart;
        var built = new List<DiffLine>();
        foreach (var line in lines)
        {
            var text = line.Length > 0 ? line[1..] : "";
            switch (line.Length > 0 ? line[0] : ' ')
            {
                case '+':
                    built.Add(new DiffLine(DiffLineKind.Added, 0, newLine++, text));
                    break;
                case '-':
                    built.Add(new DiffLine(DiffLineKind.Removed, oldLine++, 0, text));
                    break;
                default:
                    built.Add(new DiffLine(DiffLineKind.Context, oldLine++, newLine++, text));
                    break;
            }
        }

        return new DiffHunk
        {
            OldStart = oldStart,
            OldCount = built.Count(l => l.Kind != DiffLineKind.Added),
            NewStart = newStart,
            NewCount = built.Count(l => l.Kind != DiffLineKind.Removed),
            Lines = built,
        };
    }

    public static FileDiff File(string path, params DiffHunk[] hunks) => new()
    {
        Path = path,
        OldPath = path,
        Hunks = hunks,
        Additions = hunks.Sum(h => h.Lines.Count(l => l.Kind == DiffLineKind.Added)),
        Deletions = hunks.Sum(h => h.Lines.Count(l => l.Kind == DiffLineKind.Removed)),
    };
}
