using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace CriticBot.Reviews;

/// <summary>
/// A repository's <c>.github/criticbot.yml</c>, read from the default branch so a PR cannot reconfigure its own
/// review (neither by editing the file nor by retargeting to a branch whose file says otherwise).
/// </summary>
public sealed record RepositoryConfig
{
    public const string Path = ".github/criticbot.yml";

    public bool Enabled { get; init; } = true;
    public IReadOnlyList<string> Include { get; init; } = [];
    public IReadOnlyList<string> Exclude { get; init; } = [];
    public int? MaxComments { get; init; }
    public double? Precision { get; init; }

    /// <summary>Extra guidance for the critic from the maintainers (never from the PR).</summary>
    public string? Instructions { get; init; }

    public bool ReviewDrafts { get; init; }

    /// <summary>The language the critic writes its comments in, e.g. "en" or "German".</summary>
    public string? Language { get; init; }

    /// <summary>
    /// The maintainers consent to their feedback being exported from a private repository (`criticbot export`,
    /// docs/export.md); public repositories are exported regardless.
    /// </summary>
    public bool ShareFeedback { get; init; }

    /// <summary>What was wrong with the file; non-empty means the defaults are in force.</summary>
    public IReadOnlyList<string> Problems { get; init; } = [];

    public static RepositoryConfig Default { get; } = new();

    private const int MaxInstructionsLength = 4000;

    /// <summary>Far above any real configuration (a few hundred bytes); larger files are not read.</summary>
    public const int MaxFileBytes = 64 * 1024;

    /// <summary>The settings nest two levels (a mapping of lists); a little slack, no more.</summary>
    public const int MaxDepth = 4;

    /// <summary>
    /// Walks the parser's events (iterative, no tree): a reason to refuse the file, or null. Aliases are refused
    /// outright (the settings never need them, and they let a few bytes expand into a huge tree), as are anchors
    /// and several documents.
    /// </summary>
    private static string? Prescan(string yaml)
    {
        var parser = new Parser(new StringReader(yaml));
        var depth = 0;
        var documents = 0;
        while (parser.MoveNext())
        {
            switch (parser.Current)
            {
                case AnchorAlias:
                    return "aliases (*name) are not allowed";
                case NodeEvent { Anchor.IsEmpty: false }:
                    return "anchors (&name) are not allowed";
                case DocumentStart:
                    if (++documents > 1)
                    {
                        return "only one YAML document is allowed";
                    }

                    break;
            }

            switch (parser.Current)
            {
                case MappingStart or SequenceStart:
                    if (++depth > MaxDepth)
                    {
                        return $"nested deeper than {MaxDepth} levels";
                    }

                    break;
                case MappingEnd or SequenceEnd:
                    depth--;
                    break;
            }
        }

        return null;
    }

    /// <summary>
    /// Parses the file. Any error (bad YAML, a wrong type, an out-of-range value) falls back to the defaults
    /// as a whole and names the problem, so a half-understood file never silently changes behaviour.
    /// Unknown keys are reported but do not invalidate the rest.
    /// </summary>
    public static RepositoryConfig Parse(string? yaml)
    {
        if (string.IsNullOrWhiteSpace(yaml))
        {
            return Default;
        }

        // The file is the repository owner's, and anyone can install the App: it is untrusted input. Size,
        // depth and aliases are checked on the parser's event stream before any tree is built, because building
        // one recurses (a deeply nested file overflows the stack, which no catch can stop).
        if (System.Text.Encoding.UTF8.GetByteCount(yaml) > MaxFileBytes)
        {
            return Invalid($"{Path}: larger than {MaxFileBytes / 1024} KiB");
        }

        YamlMappingNode root;
        try
        {
            if (Prescan(yaml) is { } refused)
            {
                return Invalid($"{Path}: {refused}");
            }

            var stream = new YamlStream();
            stream.Load(new StringReader(yaml));
            if (stream.Documents.Count == 0)
            {
                return Default;
            }

            if (stream.Documents[0].RootNode is not YamlMappingNode mapping)
            {
                return Invalid($"{Path}: the top level must be a mapping of settings");
            }

            root = mapping;
        }
        catch (YamlException ex)
        {
            return Invalid($"{Path}: not valid YAML at line {ex.Start.Line}: {Shorten(FirstLine(ex.Message))}");
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or FormatException or OverflowException)
        {
            // YamlDotNet throws these on some malformed input instead of a YamlException.
            return Invalid($"{Path}: not valid YAML");
        }

        var errors = new List<string>();
        var notes = new List<string>();
        var config = new RepositoryConfig();
        foreach (var (keyNode, value) in root.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value ?? "";
            switch (key)
            {
                case "enabled":
                    config = config with { Enabled = ReadBool(key, value, errors) ?? config.Enabled };
                    break;
                case "share_feedback":
                    config = config with { ShareFeedback = ReadBool(key, value, errors) ?? config.ShareFeedback };
                    break;
                case "review_drafts":
                    config = config with { ReviewDrafts = ReadBool(key, value, errors) ?? config.ReviewDrafts };
                    break;
                case "include":
                    config = config with { Include = ReadGlobs(key, value, errors) };
                    break;
                case "exclude":
                    config = config with { Exclude = ReadGlobs(key, value, errors) };
                    break;
                case "max_comments":
                    var max = ReadNumber(key, value, errors);
                    if (max is { } m && (m < 0 || m > 50 || m != Math.Floor(m)))
                    {
                        errors.Add($"{Path}: max_comments must be a whole number from 0 to 50");
                    }
                    else if (max is { } ok)
                    {
                        config = config with { MaxComments = (int)ok };
                    }

                    break;
                case "precision":
                    var precision = ReadNumber(key, value, errors);
                    if (precision is { } p && (p < 0 || p > 1))
                    {
                        errors.Add($"{Path}: precision must be between 0 and 1");
                    }
                    else if (precision is { } ok)
                    {
                        config = config with { Precision = ok };
                    }

                    break;
                case "instructions":
                    var text = ReadString(key, value, errors);
                    if (text is { Length: > MaxInstructionsLength })
                    {
                        errors.Add($"{Path}: instructions are longer than {MaxInstructionsLength} characters");
                    }
                    else
                    {
                        config = config with { Instructions = text };
                    }

                    break;
                case "language":
                    var language = ReadString(key, value, errors);
                    if (language is { Length: > 40 })
                    {
                        errors.Add($"{Path}: language must be a short name such as \"en\" or \"German\"");
                    }
                    else
                    {
                        config = config with { Language = language };
                    }

                    break;
                default:
                    notes.Add($"{Path}: unknown setting '{Shorten(key)}' ignored");
                    break;
            }
        }

        if (errors.Count > 0)
        {
            return Default with { Problems = [.. errors, .. notes] };
        }

        return config with { Problems = notes };
    }

    private static RepositoryConfig Invalid(string problem) => Default with { Problems = [problem] };

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();

    /// <summary>File text quoted in a problem (a key, a parser message): short, one line, printable.</summary>
    private static string Shorten(string text) => Intake.LogText.Untrusted(text, 60) ?? "";

    private static bool? ReadBool(string key, YamlNode node, List<string> errors)
    {
        if (node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: { } v } && bool.TryParse(v, out var b))
        {
            return b;
        }

        errors.Add($"{Path}: {key} must be true or false");
        return null;
    }

    private static double? ReadNumber(string key, YamlNode node, List<string> errors)
    {
        // A quoted "5" is text, not a number. .nan/.inf (YAML) and NaN/Infinity/1e999 (.NET) are not finite and
        // would pass every range check (NaN compares false), then fail each review that uses them.
        if (node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: { } v }
            && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
        {
            if (double.IsFinite(d))
            {
                return d;
            }

            errors.Add($"{Path}: {key} must be a finite number");
            return null;
        }

        if (node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: { } special } && IsYamlNonFinite(special))
        {
            errors.Add($"{Path}: {key} must be a finite number");
            return null;
        }

        errors.Add($"{Path}: {key} must be a number");
        return null;
    }

    private static bool IsYamlNonFinite(string value) =>
        value.TrimStart('+', '-').ToLowerInvariant() is ".nan" or ".inf";

    private static string? ReadString(string key, YamlNode node, List<string> errors)
    {
        if (node is YamlScalarNode scalar)
        {
            return string.IsNullOrWhiteSpace(scalar.Value) ? null : scalar.Value.Trim();
        }

        errors.Add($"{Path}: {key} must be text");
        return null;
    }

    private static IReadOnlyList<string> ReadGlobs(string key, YamlNode node, List<string> errors)
    {
        switch (node)
        {
            case YamlScalarNode { Value: { } single } when !string.IsNullOrWhiteSpace(single):
                return [single.Trim()];
            case YamlSequenceNode sequence:
                var globs = new List<string>();
                foreach (var item in sequence.Children)
                {
                    if (item is YamlScalarNode { Value: { } g } && !string.IsNullOrWhiteSpace(g))
                    {
                        globs.Add(g.Trim());
                    }
                    else
                    {
                        errors.Add($"{Path}: {key} must be a list of path globs");
                        return [];
                    }
                }

                return globs;
            default:
                errors.Add($"{Path}: {key} must be a list of path globs");
                return [];
        }
    }
}
