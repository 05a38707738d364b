using System.Diagnostics;
using System.Text;

namespace CriticBot.Testing.Git;

/// <summary>
/// A throwaway git repository in a temp directory, for fixtures made by real git rather than by hand.
/// User and system git configuration are shut out so every machine produces the same diff text.
/// </summary>
/// <example>
/// <code>
/// using var repo = new GitScratchRepo();
/// repo.WriteFile("a.txt", "one\n");
/// repo.Commit();
/// repo.WriteFile("a.txt", "two\n");
/// string diff = repo.DiffAgainstHead();
/// </code>
/// </example>
public sealed class GitScratchRepo : IDisposable
{
    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    public GitScratchRepo()
    {
        Root = Path.Combine(Path.GetTempPath(), "criticbot-git-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        Git("init", "-q", "-b", "main");
        // filemode off: modes come from the index only (see Chmod), the same on every OS and umask.
        Git("config", "core.filemode", "false");
        Git("config", "core.autocrlf", "false");
        Git("config", "commit.gpgsign", "false");
    }

    public string Root { get; }

    /// <summary>Writes text exactly as given (UTF-8, no BOM, no line-ending conversion), creating folders.</summary>
    public void WriteFile(string relativePath, string content) => WriteBytes(relativePath, Utf8NoBom.GetBytes(content));

    public void WriteBytes(string relativePath, byte[] content)
    {
        var full = FullPath(relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, content);
    }

    public void DeleteFile(string relativePath) => File.Delete(FullPath(relativePath));

    public void MoveFile(string fromPath, string toPath)
    {
        var destination = FullPath(toPath);
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        File.Move(FullPath(fromPath), destination);
    }

    /// <summary>Sets or clears the executable bit in the index (the file must exist).</summary>
    public void Chmod(string relativePath, bool executable)
    {
        Git("add", "--", relativePath);
        Git("update-index", executable ? "--chmod=+x" : "--chmod=-x", "--", relativePath);
    }

    /// <summary>Stages everything and commits; returns the new commit's SHA.</summary>
    public string Commit(string message = "change")
    {
        Git("add", "-A");
        Git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", message);
        return Git("rev-parse", "HEAD").Trim();
    }

    /// <summary>Stages everything and returns <c>git diff --cached</c> against HEAD, with extra arguments such as <c>-M</c>.</summary>
    public string DiffAgainstHead(params string[] extraArguments) =>
        Utf8NoBom.GetString(DiffAgainstHeadBytes(extraArguments));

    /// <summary>As <see cref="DiffAgainstHead"/>, as raw bytes (for content that is not valid UTF-8).</summary>
    public byte[] DiffAgainstHeadBytes(params string[] extraArguments)
    {
        Git("add", "-A");
        return GitBytes(["diff", "--cached", .. extraArguments]);
    }

    /// <summary>Runs git in the repository and returns its standard output; throws with its stderr when it fails.</summary>
    public string Git(params string[] arguments) => Utf8NoBom.GetString(GitBytes(arguments));

    public byte[] GitBytes(params string[] arguments)
    {
        var start = new ProcessStartInfo("git")
        {
            WorkingDirectory = Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        start.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        start.Environment["GIT_CONFIG_GLOBAL"] = OperatingSystem.IsWindows() ? "NUL" : "/dev/null";
        start.Environment["HOME"] = Root;
        start.Environment["GIT_TERMINAL_PROMPT"] = "0";
        start.Environment["LC_ALL"] = "C";

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start git");
        var error = process.StandardError.ReadToEndAsync();
        using var output = new MemoryStream();
        process.StandardOutput.BaseStream.CopyTo(output);
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"git {string.Join(' ', arguments)} failed ({process.ExitCode}): {error.Result}");
        return output.ToArray();
    }

    public void Dispose()
    {
        try
        {
            // git makes its object files read-only; Windows refuses to delete those.
            foreach (var file in Directory.EnumerateFiles(Root, "*", SearchOption.AllDirectories))
                File.SetAttributes(file, FileAttributes.Normal);
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is not worth failing a test for.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private string FullPath(string relativePath) => Path.Combine(Root, relativePath.Replace('/', Path.DirectorySeparatorChar));
}
