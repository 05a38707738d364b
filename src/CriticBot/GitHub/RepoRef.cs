namespace CriticBot.GitHub;

/// <summary>A repository by owner and name, as in <c>owner/name</c>.</summary>
public sealed record RepoRef(string Owner, string Name)
{
    public static RepoRef Parse(string fullName)
    {
        var slash = fullName.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == fullName.Length - 1 || fullName.IndexOf('/', slash + 1) >= 0)
            throw new FormatException($"'{fullName}' is not a repository name of the form owner/name.");
        return new RepoRef(fullName[..slash], fullName[(slash + 1)..]);
    }

    public override string ToString() => $"{Owner}/{Name}";
}
