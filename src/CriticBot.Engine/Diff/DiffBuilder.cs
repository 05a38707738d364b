using System.Globalization;
using System.Runtime.CompilerServices;

namespace CriticBot.Engine.Diff;

/// <summary>
/// The parser's state machine: fed one line at a time (without its line break), builds a <see cref="ParsedDiff"/>.
/// Hunk lines are kept as positions in <c>source</c> (the diff as a string, or its UTF-8 bytes), not copied.
/// </summary>
internal sealed class DiffBuilder(object source)
{
    private enum State
    {
        /// <summary>Before the first file, or in a mail's preamble/signature: unrecognised lines are skipped silently.</summary>
        Preamble,

        /// <summary>After <c>diff --git</c>, before the first hunk: extended header lines.</summary>
        FileHeader,

        /// <summary>Inside a hunk whose header counts are not yet used up.</summary>
        InHunk,

        /// <summary>A file has ended or a hunk is complete: expecting another hunk or another file.</summary>
        BetweenHunks,

        /// <summary>A <c>GIT binary patch</c> body, or a diff we do not parse: skipped up to the next file.</summary>
        SkipToNextFile,
    }

    private readonly List<FileDiff> _files = [];
    private readonly List<string> _warnings = [];
    private readonly List<DiffHunk> _hunks = [];
    private readonly object _source = source;

    // The hunk being read: per line its start in the source and its text length (see HunkLines).
    private int[] _lines = new int[256];
    private int _lineInts;
    private int _hunkAdditions, _hunkDeletions;

    private State _state = State.Preamble;
    private int _lineNumber;
    private FileHeader? _file;

    // The hunk being read.
    private int _hunkHeaderLine;
    private int _oldStart, _oldCount, _newStart, _newCount;
    private string _section = "";
    private int _oldRemaining, _newRemaining;

    // A "--- path" line seen outside a file: it starts a file (plain unified diff) if "+++ path" follows.
    private string? _pendingMinusPath;
    private int _pendingMinusLine;

    // Consecutive lines we could not place, reported as one warning.
    private int _garbageStart, _garbageCount;

    public void StartHeaderlessFile(string path, string? previousPath, FileChangeKind kind)
    {
        _file = new FileHeader(0) { FixedPath = path, FixedPreviousPath = previousPath, FixedKind = kind };
        _state = State.BetweenHunks;
    }

    /// <summary>
    /// Takes the next line when it is a hunk body line (the parser's fast path: no text is decoded or copied).
    /// <paramref name="marker"/> is the line's first character (' ' for an empty line), <paramref name="lineStart"/> where
    /// the line starts in the source and <paramref name="textLength"/> the length of its text after the marker. When it
    /// returns false the caller passes the same line to <see cref="AcceptOtherLine"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryAcceptBodyLine(int marker, int lineStart, int textLength)
    {
        _lineNumber++;
        if (_state != State.InHunk)
            return false;
        if (TryAcceptHunkLine(marker, lineStart, textLength))
            return true;
        WarnShortHunk();
        CloseHunk();
        _state = State.BetweenHunks;
        return false;
    }

    /// <summary>Any line <see cref="TryAcceptBodyLine"/> did not take.</summary>
    public void AcceptOtherLine(ReadOnlySpan<char> line)
    {
        if (_pendingMinusPath is not null)
        {
            var minusPath = _pendingMinusPath;
            _pendingMinusPath = null;
            if (line.StartsWith("+++ "))
            {
                FlushGarbage();
                FinishFile();
                _file = new FileHeader(_pendingMinusLine) { MinusPath = minusPath };
                _file.PlusPath = GitPaths.StripPrefix(GitPaths.ReadPathToken(line[4..]), 'b');
                _state = State.FileHeader;
                return;
            }

            if (_state != State.Preamble)
                NoteGarbage(_pendingMinusLine);
        }

        AcceptStructuralLine(line);
    }

    private void AcceptStructuralLine(ReadOnlySpan<char> line)
    {
        if (line.StartsWith("diff --git "))
        {
            FlushGarbage();
            FinishFile();
            _file = new FileHeader(_lineNumber);
            (_file.GitOldPath, _file.GitNewPath) = GitPaths.SplitGitHeader(line["diff --git ".Length..]);
            _state = State.FileHeader;
            return;
        }

        if (line.StartsWith("diff --cc ") || line.StartsWith("diff --combined "))
        {
            FlushGarbage();
            FinishFile();
            _warnings.Add($"line {_lineNumber}: combined (merge) diff is not supported; file skipped");
            _state = State.SkipToNextFile;
            return;
        }

        if (_state == State.SkipToNextFile)
            return;

        if (line.StartsWith("@@ "))
        {
            FlushGarbage();
            StartHunk(line);
            return;
        }

        if (_state == State.FileHeader && TryAcceptExtendedHeader(line))
            return;

        if (line.StartsWith("--- ") && !line.SequenceEqual("--- "))
        {
            _pendingMinusPath = GitPaths.StripPrefix(GitPaths.ReadPathToken(line[4..]), 'a') ?? "";
            _pendingMinusLine = _lineNumber;
            return;
        }

        if (_state == State.Preamble || line.IsEmpty)
            return;

        if (_state == State.BetweenHunks)
        {
            // "\ No newline at end of file" after the last line of a hunk.
            if (line[0] == '\\')
                return;

            // format-patch's mail signature ("-- " then the git version), and the next mail in an mbox.
            if (line.SequenceEqual("-- ") || line.StartsWith("From "))
            {
                FlushGarbage();
                FinishFile();
                _state = State.Preamble;
                return;
            }
        }

        NoteGarbage(_lineNumber);
    }

    private bool TryAcceptExtendedHeader(ReadOnlySpan<char> line)
    {
        var file = _file!;
        if (line.StartsWith("index ") || line.StartsWith("dissimilarity index "))
            return true;
        if (line.StartsWith("--- "))
        {
            file.MinusPath = GitPaths.StripPrefix(GitPaths.ReadPathToken(line[4..]), 'a');
            return true;
        }

        if (line.StartsWith("+++ "))
        {
            file.PlusPath = GitPaths.StripPrefix(GitPaths.ReadPathToken(line[4..]), 'b');
            return true;
        }

        if (TryValue(line, "old mode ", out var value))
            file.OldMode = value.ToString();
        else if (TryValue(line, "new mode ", out value))
            file.NewMode = value.ToString();
        else if (TryValue(line, "new file mode ", out value))
            (file.IsNew, file.NewMode) = (true, value.ToString());
        else if (TryValue(line, "deleted file mode ", out value))
            (file.IsDeleted, file.OldMode) = (true, value.ToString());
        else if (TryValue(line, "rename from ", out value))
            file.RenameFrom = GitPaths.ReadPathToken(value);
        else if (TryValue(line, "rename to ", out value))
            file.RenameTo = GitPaths.ReadPathToken(value);
        else if (TryValue(line, "copy from ", out value))
            file.CopyFrom = GitPaths.ReadPathToken(value);
        else if (TryValue(line, "copy to ", out value))
            file.CopyTo = GitPaths.ReadPathToken(value);
        else if (TryValue(line, "similarity index ", out value))
            file.Similarity = int.TryParse(value.TrimEnd('%'), NumberStyles.None, CultureInfo.InvariantCulture, out var percent) ? percent : null;
        else if (line.StartsWith("Binary files ") && line.EndsWith(" differ"))
        {
            file.IsBinary = true;
            if (line.StartsWith("Binary files /dev/null and "))
                file.IsNew = true;
            else if (line.EndsWith(" and /dev/null differ"))
                file.IsDeleted = true;
        }
        else if (line.SequenceEqual("GIT binary patch"))
        {
            file.IsBinary = true;
            _state = State.SkipToNextFile;
        }
        else
            return false;

        return true;
    }

    private static bool TryValue(ReadOnlySpan<char> line, string prefix, out ReadOnlySpan<char> value)
    {
        if (line.StartsWith(prefix, StringComparison.Ordinal))
        {
            value = line[prefix.Length..];
            return true;
        }

        value = default;
        return false;
    }

    private void StartHunk(ReadOnlySpan<char> line)
    {
        if (_file is null)
        {
            _warnings.Add($"line {_lineNumber}: hunk without a file header; skipped");
            _state = State.SkipToNextFile;
            return;
        }

        if (!TryParseHunkHeader(line, out _oldStart, out _oldCount, out _newStart, out _newCount, out var section))
        {
            // The body lines that follow become one "unrecognised lines" warning: reported, not guessed at.
            _warnings.Add($"line {_lineNumber}: malformed hunk header; hunk skipped");
            _state = State.BetweenHunks;
            return;
        }

        _section = section.IsEmpty ? "" : section.ToString();
        _hunkHeaderLine = _lineNumber;
        _oldRemaining = _oldCount;
        _newRemaining = _newCount;
        _lineInts = 0;
        _hunkAdditions = _hunkDeletions = 0;
        _state = State.InHunk;
        if (_oldRemaining == 0 && _newRemaining == 0)
        {
            _warnings.Add($"line {_lineNumber}: empty hunk");
            CloseHunk();
            _state = State.BetweenHunks;
        }
    }

    /// <summary>Parses <c>@@ -a[,b] +c[,d] @@[ section]</c>; an omitted count means 1.</summary>
    internal static bool TryParseHunkHeader(
        ReadOnlySpan<char> line, out int oldStart, out int oldCount, out int newStart, out int newCount, out ReadOnlySpan<char> section)
    {
        oldCount = newCount = 0;
        newStart = 0;
        section = default;
        var rest = line[3..];
        if (!TryRange(ref rest, '-', out oldStart, out oldCount) || rest.IsEmpty || rest[0] != ' ')
            return false;
        rest = rest[1..];
        if (!TryRange(ref rest, '+', out newStart, out newCount) || !rest.StartsWith(" @@"))
            return false;
        rest = rest[3..];
        section = rest.StartsWith(' ') ? rest[1..] : rest;
        return true;
    }

    private static bool TryRange(ref ReadOnlySpan<char> rest, char sign, out int start, out int count)
    {
        start = count = 0;
        if (rest.IsEmpty || rest[0] != sign)
            return false;
        rest = rest[1..];
        if (!TryNumber(ref rest, out start))
            return false;
        if (rest.IsEmpty || rest[0] != ',')
        {
            count = 1;
            return true;
        }

        rest = rest[1..];
        return TryNumber(ref rest, out count);
    }

    private static bool TryNumber(ref ReadOnlySpan<char> rest, out int number)
    {
        var digits = 0;
        while (digits < rest.Length && char.IsAsciiDigit(rest[digits]))
            digits++;
        var ok = int.TryParse(rest[..digits], NumberStyles.None, CultureInfo.InvariantCulture, out number);
        rest = rest[digits..];
        return ok;
    }

    private bool TryAcceptHunkLine(int marker, int lineStart, int textLength)
    {
        // Some tools strip the single space of an empty context line; git apply accepts that too.
        DiffLineKind kind;
        switch (marker)
        {
            case ' ' when _oldRemaining > 0 && _newRemaining > 0:
                _oldRemaining--;
                _newRemaining--;
                kind = DiffLineKind.Context;
                break;
            case '+' when _newRemaining > 0:
                _newRemaining--;
                _hunkAdditions++;
                kind = DiffLineKind.Added;
                break;
            case '-' when _oldRemaining > 0:
                _oldRemaining--;
                _hunkDeletions++;
                kind = DiffLineKind.Removed;
                break;
            case '\\':
                return true;
            default:
                return false;
        }

        if (_lineInts + 2 > _lines.Length)
            Array.Resize(ref _lines, _lines.Length * 2);
        if (textLength > HunkLines.MaxTextLength)
        {
            _warnings.Add($"line {_lineNumber}: a line of over 1 GiB; cut to its first {HunkLines.MaxTextLength} bytes");
            textLength = HunkLines.MaxTextLength;
        }

        _lines[_lineInts] = lineStart;
        _lines[_lineInts + 1] = HunkLines.Pack(kind, textLength);
        _lineInts += 2;

        if (_oldRemaining == 0 && _newRemaining == 0)
        {
            CloseHunk();
            _state = State.BetweenHunks;
        }

        return true;
    }

    private void WarnShortHunk() =>
        _warnings.Add(
            $"line {_hunkHeaderLine}: hunk {HunkLabel()} ends early ({_oldRemaining} old and {_newRemaining} new lines missing); kept what is there");

    private string HunkLabel() =>
        string.Create(CultureInfo.InvariantCulture, $"-{_oldStart},{_oldCount} +{_newStart},{_newCount} of {_file?.DescribePath() ?? "?"}");

    private void CloseHunk()
    {
        if (_lineInts == 0)
            return;
        var file = _file!;
        file.Additions += _hunkAdditions;
        file.Deletions += _hunkDeletions;
        _hunks.Add(new DiffHunk
        {
            OldStart = _oldStart,
            OldCount = _oldCount,
            NewStart = _newStart,
            NewCount = _newCount,
            Section = _section,
            Lines = new HunkLines(_source, _lines.AsSpan(0, _lineInts).ToArray(), _oldStart, _newStart),
        });
        _lineInts = 0;
        _hunkAdditions = _hunkDeletions = 0;
    }

    private void NoteGarbage(int lineNumber)
    {
        if (_garbageCount == 0)
            _garbageStart = lineNumber;
        _garbageCount++;
    }

    private void FlushGarbage()
    {
        if (_garbageCount == 0)
            return;
        _warnings.Add(_garbageCount == 1
            ? $"line {_garbageStart}: unrecognised line skipped"
            : $"lines {_garbageStart}-{_garbageStart + _garbageCount - 1}: {_garbageCount} unrecognised lines skipped");
        _garbageCount = 0;
    }

    private void FinishFile()
    {
        if (_state == State.InHunk)
        {
            WarnShortHunk();
            CloseHunk();
        }

        var file = _file;
        _file = null;
        _state = State.Preamble;
        if (file is null)
        {
            _hunks.Clear();
            return;
        }

        var diff = file.Build(_hunks.ToArray());
        _hunks.Clear();
        if (diff is null)
            _warnings.Add($"line {file.StartLine}: file header without a path; skipped");
        else
            _files.Add(diff);
    }

    public ParsedDiff Finish()
    {
        if (_pendingMinusPath is not null && _state != State.Preamble)
            NoteGarbage(_pendingMinusLine);
        _pendingMinusPath = null;
        FlushGarbage();
        FinishFile();
        return _files.Count == 0 && _warnings.Count == 0
            ? ParsedDiff.Empty
            : new ParsedDiff { Files = _files.ToArray(), Warnings = _warnings.ToArray() };
    }

    /// <summary>What a file's header lines said, resolved into a <see cref="FileDiff"/> once the file ends.</summary>
    private sealed class FileHeader(int startLine)
    {
        public int StartLine { get; } = startLine;
        public string? GitOldPath { get; set; }
        public string? GitNewPath { get; set; }
        public string? MinusPath { get; set; }
        public string? PlusPath { get; set; }
        public string? RenameFrom { get; set; }
        public string? RenameTo { get; set; }
        public string? CopyFrom { get; set; }
        public string? CopyTo { get; set; }
        public string? OldMode { get; set; }
        public string? NewMode { get; set; }
        public int? Similarity { get; set; }
        public bool IsNew { get; set; }
        public bool IsDeleted { get; set; }
        public bool IsBinary { get; set; }
        public int Additions { get; set; }
        public int Deletions { get; set; }

        // GitHub per-file patches: the caller knows path and kind.
        public string? FixedPath { get; init; }
        public string? FixedPreviousPath { get; init; }
        public FileChangeKind? FixedKind { get; init; }

        public string? DescribePath() => FixedPath ?? RenameTo ?? CopyTo ?? RealPath(PlusPath) ?? GitPaths.StripPrefix(GitNewPath, 'b') ?? RealPath(MinusPath);

        private static string? RealPath(string? path) => path == GitPaths.DevNull ? null : path;

        public FileDiff? Build(DiffHunk[] hunks)
        {
            if (FixedPath is not null)
            {
                var fixedKind = FixedKind ?? FileChangeKind.Modified;
                return new FileDiff
                {
                    Path = FixedPath,
                    OldPath = fixedKind == FileChangeKind.Added ? null : FixedPreviousPath ?? FixedPath,
                    Kind = fixedKind,
                    Hunks = hunks,
                    Additions = Additions,
                    Deletions = Deletions,
                };
            }

            var isNew = IsNew || MinusPath == GitPaths.DevNull;
            var isDeleted = !isNew && (IsDeleted || PlusPath == GitPaths.DevNull);
            var newPath = RenameTo ?? CopyTo ?? RealPath(PlusPath) ?? GitPaths.StripPrefix(GitNewPath, 'b');
            var oldPath = RenameFrom ?? CopyFrom ?? RealPath(MinusPath) ?? GitPaths.StripPrefix(GitOldPath, 'a');
            var kind = RenameFrom is not null || RenameTo is not null ? FileChangeKind.Renamed
                : CopyFrom is not null || CopyTo is not null ? FileChangeKind.Copied
                : isNew ? FileChangeKind.Added
                : isDeleted ? FileChangeKind.Deleted
                : FileChangeKind.Modified;
            var path = kind == FileChangeKind.Deleted ? oldPath ?? newPath : newPath ?? oldPath;
            if (string.IsNullOrEmpty(path))
                return null;

            return new FileDiff
            {
                Path = path,
                OldPath = kind == FileChangeKind.Added ? null : oldPath ?? path,
                Kind = kind,
                IsBinary = IsBinary,
                OldMode = OldMode,
                NewMode = NewMode,
                Similarity = Similarity,
                Hunks = hunks,
                Additions = Additions,
                Deletions = Deletions,
            };
        }
    }
}
