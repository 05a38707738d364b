using CriticBot.Storage;

namespace CriticBot.Export;

/// <summary>A rater's role on the repository, ordered: a minimum permission admits it and every role above.</summary>
public enum RaterRole
{
    None,
    Read,
    Triage,
    Write,
    Maintain,
    Admin,
}

public static class RaterRoles
{
    /// <summary>GitHub's role name; anything unknown (or missing) is <see cref="RaterRole.None"/>.</summary>
    public static RaterRole Parse(string? role) => role switch
    {
        "admin" => RaterRole.Admin,
        "maintain" => RaterRole.Maintain,
        "write" => RaterRole.Write,
        "triage" => RaterRole.Triage,
        "read" => RaterRole.Read,
        _ => RaterRole.None,
    };

    public static bool TryParseOption(string text, out RaterRole permission)
    {
        permission = Parse(text);
        return permission != RaterRole.None;
    }

    public static string ToName(this RaterRole permission) => permission switch
    {
        RaterRole.Admin => "admin",
        RaterRole.Maintain => "maintain",
        RaterRole.Write => "write",
        RaterRole.Triage => "triage",
        RaterRole.Read => "read",
        _ => "none",
    };
}

/// <summary>What the label rule made of one comment's events.</summary>
public enum LabelOutcome
{
    /// <summary>The counted verdicts that have a direction all say positive: label true.</summary>
    Positive,

    /// <summary>They all say negative: label false.</summary>
    Negative,

    /// <summary>Only neutral verdicts (/critic nit, 4 of 7, laugh or eyes): no kto/dpo row.</summary>
    NeutralOnly,

    /// <summary>Positive and negative verdicts both stand: no kto/dpo row.</summary>
    Conflicting,

    /// <summary>Rated, but only by raters below the minimum permission: no kto/dpo row.</summary>
    BelowMinPermission,

    /// <summary>No standing rating (none given, or every reaction taken back).</summary>
    Unrated,
}

/// <summary>A rater's standing verdict.</summary>
public sealed record StandingVerdict(string Login, RaterRole Permission, bool? IsAuthor, FeedbackValue Value, bool FromCommand, int? Rating);

/// <summary>The label of one comment, with what else its events said (for the row's metadata).</summary>
public sealed record CommentLabel
{
    public required LabelOutcome Outcome { get; init; }

    /// <summary>The verdicts that made the label (commands when any rater gave one, else reactions).</summary>
    public required IReadOnlyList<StandingVerdict> Counted { get; init; }

    public bool Addressed { get; init; }
    public bool? ThreadResolved { get; init; }
    public int Replies { get; init; }

    public bool? Label => Outcome switch { LabelOutcome.Positive => true, LabelOutcome.Negative => false, _ => null };
}

/// <summary>
/// The one rule that turns a comment's feedback events into a label (docs/export.md, "Labels"):
/// <list type="number">
/// <item>Raters below the minimum permission are ignored (their events stay in <c>ratings</c>).</item>
/// <item>A rater's later command replaces their earlier one; their reactions stand until taken back
/// (<c>reaction_retracted</c> removes exactly that reaction), the latest standing reaction being their reaction
/// verdict.</item>
/// <item>A rater's command outweighs their reaction; and when any counted rater gave a command, only commands count
/// for the comment (an explicit judgement outweighs a click).</item>
/// <item>Neutral verdicts have no direction: all counted positive → true; all negative → false; both → conflicting;
/// only neutral → neutral only. Conflicting and neutral-only comments give no kto/dpo/sft row.</item>
/// <item><c>addressed</c>, thread resolution and replies are recorded in the metadata but do not make the label:
/// a push may change a line for other reasons, resolving a thread may mean "fixed" or "dismissed", and a reply's
/// text has no direction.</item>
/// </list>
/// </summary>
public static class FeedbackLabels
{
    /// <summary>The rule as markdown, for the dataset card.</summary>
    public const string RuleMarkdown = """
        A comment's label comes from its feedback events by one rule:

        1. Raters below `--min-permission` (default `write`) are ignored; bots never count.
        2. Per rater, a later command (`/critic good`, `nit`, `wrong`, `rate N`) replaces an earlier one; a reaction
           stands until it is taken back (a retraction removes exactly that reaction), and the rater's latest standing
           reaction is their reaction verdict.
        3. A rater's command outweighs their reaction, and when any counted rater gave a command only commands count.
        4. `good`, `rate 5-7`, 👍 ❤️ 🎉 🚀 are positive; `wrong`, `rate 1-3`, 👎 😕 negative; `nit`, `rate 4`, 😄 👀
           neutral. Neutral verdicts have no direction: all directed verdicts positive → `true`, all negative →
           `false`, both → conflicting (no row), only neutral → no row.
        5. `addressed`, thread resolution and replies are kept in the metadata but do not make the label.
        """;

    /// <summary>Applies the rule to one comment's events (in recording order).</summary>
    public static CommentLabel Decide(IReadOnlyList<ExportEvent> events, RaterRole minimum)
    {
        ArgumentNullException.ThrowIfNull(events);
        var raters = new Dictionary<string, RaterState>(StringComparer.OrdinalIgnoreCase);
        var addressed = false;
        bool? threadResolved = null;
        var replies = 0;
        var rated = false;
        foreach (var e in events)
        {
            switch (e.Kind)
            {
                case FeedbackKind.Addressed:
                    addressed = true;
                    continue;
                case FeedbackKind.ThreadResolved:
                    threadResolved = true;
                    continue;
                case FeedbackKind.ThreadUnresolved:
                    threadResolved = false;
                    continue;
                case FeedbackKind.Reply:
                    replies++;
                    continue;
                case FeedbackKind.MissedBug:
                    continue;
            }

            if (e.RaterLogin is not { } login)
            {
                continue;
            }

            if (!raters.TryGetValue(login, out var rater))
            {
                rater = new RaterState(login);
                raters[login] = rater;
            }

            var permission = RaterRoles.Parse(e.RaterPermission);
            switch (e.Kind)
            {
                case FeedbackKind.Reaction when e.Value is { } value:
                    rated = true;
                    rater.Reactions.Add(new Signal(e.GitHubReactionId ?? -e.Id, value, permission, e.RaterIsAuthor, null));
                    break;
                case FeedbackKind.ReactionRetracted:
                    // Takes back exactly the reaction it names, whoever recorded what since.
                    rater.Reactions.RemoveAll(r => r.ReactionId == e.GitHubReactionId);
                    break;
                case FeedbackKind.CommandGood or FeedbackKind.CommandNit or FeedbackKind.CommandWrong or FeedbackKind.CommandRate when e.Value is { } value:
                    rated = true;
                    rater.Command = new Signal(0, value, permission, e.RaterIsAuthor, e.Rating);
                    break;
            }
        }

        var standing = new List<StandingVerdict>();
        var anyCommand = false;
        foreach (var rater in raters.Values)
        {
            // The command counts when its rater qualifies; otherwise the latest qualifying standing reaction.
            if (rater.Command is { } command && command.Permission >= minimum)
            {
                standing.Add(new StandingVerdict(rater.Login, command.Permission, command.IsAuthor, command.Value, true, command.Rating));
                anyCommand = true;
            }
            else if (rater.Reactions.LastOrDefault(r => r.Permission >= minimum) is { } reaction)
            {
                standing.Add(new StandingVerdict(rater.Login, reaction.Permission, reaction.IsAuthor, reaction.Value, false, null));
            }
        }

        var counted = anyCommand ? standing.Where(v => v.FromCommand).ToList() : standing;
        var positive = counted.Any(v => v.Value == FeedbackValue.Positive);
        var negative = counted.Any(v => v.Value == FeedbackValue.Negative);
        var outcome = (positive, negative) switch
        {
            (true, true) => LabelOutcome.Conflicting,
            (true, false) => LabelOutcome.Positive,
            (false, true) => LabelOutcome.Negative,
            _ when counted.Count > 0 => LabelOutcome.NeutralOnly,
            _ when rated && standing.Count == 0 && raters.Values.Any(r => r.Command is not null || r.Reactions.Count > 0) => LabelOutcome.BelowMinPermission,
            _ => LabelOutcome.Unrated,
        };
        return new CommentLabel
        {
            Outcome = outcome,
            Counted = counted,
            Addressed = addressed,
            ThreadResolved = threadResolved,
            Replies = replies,
        };
    }

    /// <summary>Why a comment gave no kto/dpo row, in the summary's words.</summary>
    public static string SkipReason(LabelOutcome outcome) => outcome switch
    {
        LabelOutcome.NeutralOnly => "neutral only",
        LabelOutcome.Conflicting => "conflicting verdicts",
        LabelOutcome.BelowMinPermission => "rated only below --min-permission",
        _ => "unrated",
    };

    private sealed record Signal(long ReactionId, FeedbackValue Value, RaterRole Permission, bool? IsAuthor, int? Rating);

    private sealed class RaterState(string login)
    {
        public string Login { get; } = login;
        public List<Signal> Reactions { get; } = [];
        public Signal? Command { get; set; }
    }
}
