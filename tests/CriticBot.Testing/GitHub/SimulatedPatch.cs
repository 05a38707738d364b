using System.Globalization;
using System.Text.RegularExpressions;

namespace CriticBot.Testing.GitHub;

/// <summary>
/// The simulator's own reading of a per-file patch (GitHub's <c>patch</c> field: hunks only, no file header).
/// Deliberately independent of the product's diff code, so the simulator really checks the product.
/// </summary>
internal sealed partial class SimulatedPatch
{
    /// <summary>(side, line number) → (hunk index, position of the line inside its hunk).</summary>
    private readonly Dictionary<(string Side, int Line), (int Hunk, int Position)> _anchors = [];

    private SimulatedPatch()
    {
    }

    public static SimulatedPatch Parse(string? patch)
    {
        var parsed = new SimulatedPatch();
        if (string.IsNullOrEmpty(patch))
            return parsed;

        int hunk = -1, position = 0, oldLine = 0, newLine = 0;
        foreach (var rawLine in patch.Split('\n'))
        {
            var line = rawLine.TrimEnd('\r');
            var header = HunkHeader().Match(line);
            if (header.Success)
            {
                hunk++;
                position = 0;
                oldLine = int.Parse(header.Groups["old"].Value, CultureInfo.InvariantCulture);
                newLine = int.Parse(header.Groups["new"].Value, CultureInfo.InvariantCulture);
                continue;
            }
            if (hunk < 0 || line.Length == 0)
                continue;
            switch (line[0])
            {
                case '+':
                    parsed._anchors[("RIGHT", newLine++)] = (hunk, position++);
                    break;
                case '-':
                    parsed._anchors[("LEFT", oldLine++)] = (hunk, position++);
                    break;
                case ' ':
                    parsed._anchors[("RIGHT", newLine++)] = (hunk, position);
                    parsed._anchors[("LEFT", oldLine++)] = (hunk, position++);
                    break;
                default:
                    // "\ No newline at end of file" and anything else carries no line.
                    break;
            }
        }
        return parsed;
    }

    public bool TryFind(string side, int line, out int hunk, out int position)
    {
        var found = _anchors.TryGetValue((side, line), out var anchor);
        (hunk, position) = anchor;
        return found;
    }

    [GeneratedRegex(@"^@@ -(?<old>\d+)(?:,\d+)? \+(?<new>\d+)(?:,\d+)? @@")]
    private static partial Regex HunkHeader();
}
