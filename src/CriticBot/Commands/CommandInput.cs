using System.Collections;
using System.Globalization;
using System.Text.RegularExpressions;

namespace CriticBot.Commands;

/// <summary>What every subcommand reads the same way: the process environment, times and OWNER/NAME arguments.</summary>
internal static partial class CommandInput
{
    /// <summary>The process environment as the commands take it (tests pass their own dictionary instead).</summary>
    public static Dictionary<string, string?> ProcessEnvironment()
    {
        var variables = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            variables[(string)entry.Key] = entry.Value as string;
        }

        return variables;
    }

    /// <summary>YYYY-MM-DD (UTC; as an upper bound, the end of that day) or an ISO 8601 time (UTC when no offset).</summary>
    public static DateTimeOffset? ParseTime(string text, bool endOfDay)
    {
        text = text.Trim();
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            var start = new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            return endOfDay ? start.AddDays(1) : start;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            ? time
            : null;
    }

    /// <summary>Whether <paramref name="text"/> is a repository's OWNER/NAME as GitHub allows it.</summary>
    public static bool IsRepositoryName(string text) => RepositoryName().IsMatch(text);

    // GitHub's rules: owner letters, digits and hyphens; repository also dots and underscores.
    [GeneratedRegex("^[A-Za-z0-9-]{1,39}/[A-Za-z0-9._-]{1,100}$", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex RepositoryName();
}
