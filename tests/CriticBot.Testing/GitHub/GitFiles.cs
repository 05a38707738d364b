using CriticBot.Testing.Git;

namespace CriticBot.Testing.GitHub;

/// <summary>
/// Turns what real git says changed between two commits into the files GitHub's API would list: one entry per
/// file with its status and its patch (the hunks of <c>git diff</c>, headers removed, as GitHub sends them).
/// </summary>
public static class GitFiles
{
    public static IReadOnlyList<SimulatedFile> Between(GitScratchRepo repo, string baseSha, string headSha)
    {
        var files = new List<SimulatedFile>();
        var statuses = repo.Git("diff", "--name-status", "-M", baseSha, headSha)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        foreach (var line in statuses)
        {
            var parts = line.Split('\t');
            var code = parts[0];
            var (status, path, previous) = code[0] switch
            {
                'A' => ("added", parts[1], (string?)null),
                'D' => ("removed", parts[1], null),
                'R' => ("renamed", parts[2], parts[1]),
                'C' => ("copied", parts[2], parts[1]),
                _ => ("modified", parts[1], null),
            };
            var paths = previous is null ? new[] { path } : new[] { previous, path };
            var diff = repo.Git(["diff", "-M", baseSha, headSha, "--", .. paths]);
            var hunksAt = diff.IndexOf("\n@@", StringComparison.Ordinal);
            var patch = hunksAt < 0 ? null : diff[(hunksAt + 1)..].TrimEnd('\n');
            files.Add(patch is null
                ? new SimulatedFile { Filename = path, Status = status, PreviousFilename = previous }
                : SimulatedFile.WithPatch(path, patch, status, previous));
        }

        return files;
    }
}
