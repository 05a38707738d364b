using System.Globalization;
using System.Text.RegularExpressions;

namespace CriticBot.Feedback;

/// <summary>
/// A <c>/critic</c> command written in a reply or a pull-request comment. Parsing is bounded (the first lines of a
/// comment, one line of limited length) and strict: a command is exactly one of the accepted forms, anything else
/// beginning with <c>/critic</c> is <see cref="Malformed"/> and answered with the accepted forms.
/// </summary>
public abstract partial record FeedbackCommand
{
    public const string Prefix = "/critic";

    /// <summary>The accepted forms, as the bot's answer to a malformed command lists them.</summary>
    public const string AcceptedForms =
        "`/critic good` (a real problem), `/critic nit` (true but minor), `/critic wrong` (no such problem), " +
        "`/critic rate N` (N from 1 to 7), and in a pull-request comment `/critic missed PATH:LINE description`.";

    // Bounds: an attacker's comment can be long; only its start is read.
    private const int MaxLinesRead = 50;
    private const int MaxCommandLength = 1200;
    private const int MaxPathLength = 400;
    private const int MaxDescriptionLength = 1000;

    private FeedbackCommand()
    {
    }

    public sealed record Good : FeedbackCommand;

    public sealed record Nit : FeedbackCommand;

    public sealed record Wrong : FeedbackCommand;

    public sealed record Rate(int Rating) : FeedbackCommand;

    public sealed record Missed(string Path, int Line, string Description) : FeedbackCommand;

    public sealed record Malformed(string Verb, string Reason) : FeedbackCommand;

    /// <summary>
    /// The first <c>/critic</c> command among the comment's first lines; null when there is none (or only
    /// <c>/critic review</c>, which the review trigger handles).
    /// </summary>
    public static FeedbackCommand? Parse(string? body)
    {
        if (string.IsNullOrEmpty(body))
        {
            return null;
        }

        var lines = 0;
        foreach (var raw in body.AsSpan().EnumerateLines())
        {
            if (++lines > MaxLinesRead)
            {
                break;
            }

            var line = raw.Trim();
            if (!line.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase)
                || (line.Length > Prefix.Length && !char.IsWhiteSpace(line[Prefix.Length])))
            {
                continue;
            }

            if (line.Length > MaxCommandLength)
            {
                return new Malformed("", $"a command is at most {MaxCommandLength} characters");
            }

            var command = ParseLine(line[Prefix.Length..].Trim().ToString());
            if (command is not null)
            {
                return command;
            }
        }

        return null;
    }

    private static FeedbackCommand? ParseLine(string rest)
    {
        var space = rest.IndexOfAny([' ', '\t']);
        var verb = (space < 0 ? rest : rest[..space]).ToLowerInvariant();
        var arguments = space < 0 ? "" : rest[(space + 1)..].Trim();
        switch (verb)
        {
            case "review":
                return null;
            case "good" or "nit" or "wrong":
                if (arguments.Length > 0)
                {
                    return new Malformed(verb, $"/critic {verb} takes nothing after it");
                }

                return verb switch { "good" => new Good(), "nit" => new Nit(), _ => new Wrong() };
            case "rate":
                return arguments.Length == 1 && arguments[0] is >= '1' and <= '7'
                    ? new Rate(arguments[0] - '0')
                    : new Malformed(verb, "/critic rate takes one whole number from 1 to 7");
            case "missed":
                return ParseMissed(arguments);
            default:
                return new Malformed(verb, verb.Length == 0 ? "no command after /critic" : "unknown command");
        }
    }

    private static FeedbackCommand ParseMissed(string arguments)
    {
        var space = arguments.IndexOfAny([' ', '\t']);
        var location = space < 0 ? arguments : arguments[..space];
        var description = space < 0 ? "" : arguments[(space + 1)..].Trim();
        var match = Location().Match(location);
        if (!match.Success || match.Groups[1].Length > MaxPathLength
            || !int.TryParse(match.Groups[2].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var line))
        {
            return new Malformed("missed", "/critic missed takes PATH:LINE, then a description");
        }

        if (description.Length == 0 || description.Length > MaxDescriptionLength)
        {
            return new Malformed("missed", $"/critic missed needs a description of at most {MaxDescriptionLength} characters");
        }

        return new Missed(match.Groups[1].Value, line, description);
    }

    // A repository path (no control characters, no leading slash), a colon and a line number from 1.
    [GeneratedRegex(@"^([^\s/:\x00-\x1f][^\s:\x00-\x1f]*):([1-9][0-9]{0,6})$", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex Location();
}
