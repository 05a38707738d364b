namespace CriticBot.Commands;

/// <summary>Exit codes are a contract with users' scripts: never renumber them.</summary>
public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>Something failed that is neither bad usage nor an unreachable model.</summary>
    public const int Failure = 1;

    /// <summary>Bad usage, an unreadable diff, or invalid configuration.</summary>
    public const int Usage = 2;

    /// <summary>The model cannot be reached or refuses the key.</summary>
    public const int ModelUnavailable = 3;
}
