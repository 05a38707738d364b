using System.Security.Cryptography;
using System.Text;

namespace CriticBot.Engine.Prompting;

/// <summary>The exact text sent to the model for one chunk; stored verbatim for later research.</summary>
public sealed record ChatPrompt(string System, string User)
{
    /// <summary>
    /// Lower-case hex SHA-256 over both parts. Each part is length-prefixed so that moving text
    /// between the system and the user prompt always changes the hash.
    /// </summary>
    public string Sha256 => ComputeHash(System, User);

    private static string ComputeHash(string system, string user)
    {
        var canonical = $"system:{system.Length}:{system}\nuser:{user.Length}:{user}";
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }
}
