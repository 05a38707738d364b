namespace CriticBot.Engine.Chunking;

/// <summary>How a diff is filtered and cut into chunks for the critic.</summary>
public sealed record ChunkingOptions
{
    /// <summary>The most tokens one chunk's rendered text should hold.</summary>
    public int MaxChunkTokens { get; init; } = 6000;

    /// <summary>
    /// Path globs to review (<c>src/**/*.cs</c>, <c>docs/**</c>); empty means every file. Patterns are relative to the
    /// repository root; a pattern without '/' (<c>*.md</c>) matches in any folder, as in .gitignore.
    /// </summary>
    public IReadOnlyList<string> Include { get; init; } = [];

    /// <summary>Path globs never to review; wins over <see cref="Include"/>.</summary>
    public IReadOnlyList<string> Exclude { get; init; } = [];

    /// <summary>Skip files no person wrote here: generated code, lockfiles and vendored third-party folders.</summary>
    public bool SkipGeneratedFiles { get; init; } = true;

    public bool SkipDeletedFiles { get; init; } = true;
}
