using System.Globalization;
using CriticBot.Export.Files;
using CriticBot.Export.Rows;
using CriticBot.Storage;

namespace CriticBot.Export;

/// <summary>The <c>--format</c> of an export.</summary>
public enum ExportFormat
{
    Kto,
    Dpo,
    OpenAiDpo,
    Sft,
    Ratings,
}

public static class ExportFormats
{
    public static string ToName(this ExportFormat format) => format switch
    {
        ExportFormat.Kto => "kto",
        ExportFormat.Dpo => "dpo",
        ExportFormat.OpenAiDpo => "openai-dpo",
        ExportFormat.Sft => "sft",
        _ => "ratings",
    };

    public static ExportFormat? Parse(string name) =>
        Enum.GetValues<ExportFormat>().Select(f => (ExportFormat?)f).FirstOrDefault(f => f!.Value.ToName() == name);
}

/// <summary>What an export reads and how it judges (the command's flags, parsed).</summary>
public sealed record ExportOptions
{
    public required ExportFormat Format { get; init; }
    public ExportFilter Filter { get; init; } = new();

    /// <summary>--min-permission; null: write for the labelled formats, every rater for ratings.</summary>
    public RaterRole? MinPermission { get; init; }

    public bool IncludePrivate { get; init; }

    public RaterRole LabelMinimum => MinPermission ?? RaterRole.Write;
}

/// <summary>What an export wrote and left out (the summary line and the dataset card).</summary>
public sealed class ExportSummary
{
    public long Events { get; set; }
    public long Rows { get; set; }
    public long Pairs { get; set; }
    public SortedDictionary<string, long> RowsPerLabel { get; } = new(StringComparer.Ordinal);
    public SortedDictionary<string, long> Skipped { get; } = new(StringComparer.Ordinal);

    public void Row(string label)
    {
        Rows++;
        RowsPerLabel[label] = RowsPerLabel.GetValueOrDefault(label) + 1;
    }

    public void Skip(string reason, long count = 1)
    {
        if (count > 0)
        {
            Skipped[reason] = Skipped.GetValueOrDefault(reason) + count;
        }
    }

    /// <summary>One line: rows per label, pairs, skipped and why.</summary>
    public string ToLine(ExportFormat format)
    {
        var labels = RowsPerLabel.Count == 0 ? "" : " (" + string.Join(", ", RowsPerLabel.Select(l => $"{l.Key}: {l.Value}")) + ")";
        var pairs = format is ExportFormat.Dpo or ExportFormat.OpenAiDpo ? $", {Pairs} pair(s)" : "";
        var skipped = Skipped.Count == 0 ? "nothing" : string.Join(", ", Skipped.Select(s => $"{s.Key}: {s.Value}"));
        return string.Create(CultureInfo.InvariantCulture, $"exported {Rows} {format.ToName()} row(s){labels}{pairs} from {Events} event(s); skipped {skipped}");
    }
}

/// <summary>
/// Turns the feedback log into rows (docs/export.md): streams the events once, grouped by the comment they are about
/// (one review's comments at a time, so pairs on a shared prompt can be formed), applies the label rule
/// (<see cref="FeedbackLabels"/>), and hands each row to the sink with its train/test side. Memory holds one review's
/// comments and a small cache of prompts, never the log.
/// </summary>
public sealed class FeedbackExporter
{
    private readonly CriticBotStore _store;
    private readonly ExportOptions _options;
    private readonly Pseudonyms _pseudonyms;
    private readonly PullRequestSplit _split;
    private readonly IReadOnlyDictionary<string, RepositorySharing> _sharing;
    private readonly ExportProgress _progress;
    private string? _lastRepository;
    private bool _lastExcluded;

    public FeedbackExporter(CriticBotStore store, ExportOptions options, Pseudonyms pseudonyms, PullRequestSplit split,
        IReadOnlyDictionary<string, RepositorySharing> sharing, ExportProgress progress)
    {
        _store = store;
        _options = options;
        _pseudonyms = pseudonyms;
        _split = split;
        _sharing = sharing;
        _progress = progress;
    }

    public ExportSummary Summary { get; } = new();

    public async Task ExportKtoAsync(IExportSink<KtoRow> sink, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(sink);
        await using var prompts = await _store.OpenExportPromptReaderAsync(ct);
        var cache = new PromptCache(prompts);
        await ByReviewAsync(async review =>
        {
            foreach (var comment in review.Comments)
            {
                if (comment.Label.Label is not { } label || await PromptOfAsync(cache, comment.Highlight, ct) is not { } prompt)
                {
                    continue;
                }

                await sink.WriteAsync(new KtoRow
                {
                    Prompt = prompt,
                    Completion = Assistant(CritiqueText.Of(comment.Highlight)),
                    Label = label,
                    Metadata = Metadata(comment.Highlight, comment.Label),
                }, SplitOf(comment.Highlight), ct);
                Summary.Row(label ? "true" : "false");
            }

            Summary.Skip("missed bug (in dpo only)", review.MissedBugs.Count);
        }, ct);
    }

    public Task ExportDpoAsync(IExportSink<DpoRow> sink, CancellationToken ct) =>
        PairsAsync((prompt, chosen, rejected, metadata, split) => sink.WriteAsync(new DpoRow
        {
            Prompt = prompt, Chosen = Assistant(chosen), Rejected = Assistant(rejected), Metadata = metadata,
        }, split, ct), ct);

    public Task ExportOpenAiDpoAsync(IExportSink<OpenAiDpoRow> sink, CancellationToken ct) =>
        PairsAsync((prompt, chosen, rejected, metadata, split) => sink.WriteAsync(new OpenAiDpoRow
        {
            Input = new OpenAiInput { Messages = prompt },
            PreferredOutput = Assistant(chosen),
            NonPreferredOutput = Assistant(rejected),
            Metadata = metadata,
        }, split, ct), ct);

    public async Task ExportSftAsync(IExportSink<SftRow> sink, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(sink);
        await using var prompts = await _store.OpenExportPromptReaderAsync(ct);
        var cache = new PromptCache(prompts);
        await ByReviewAsync(async review =>
        {
            foreach (var chunk in review.Comments.Where(c => c.Label.Label == true).GroupBy(c => c.Highlight.PromptSha256!, StringComparer.Ordinal))
            {
                var confirmed = chunk.OrderBy(c => c.Highlight.CandidateIndex).ToList();
                var first = confirmed[0].Highlight;
                if (await PromptOfAsync(cache, first, ct) is not { } prompt)
                {
                    continue;
                }

                await sink.WriteAsync(new SftRow
                {
                    Messages = [prompt[0], prompt[1], new ChatMessage { Role = "assistant", Content = CritiqueText.Of([.. confirmed.Select(c => c.Highlight)]) }],
                    Metadata = new SftMetadata
                    {
                        Repository = first.Repository,
                        PullRequest = first.PullRequest,
                        HeadSha = first.ReviewHeadSha,
                        ReviewId = first.ReviewId!.Value,
                        PromptSha256 = chunk.Key,
                        Highlights = [.. confirmed.Select(c => Metadata(c.Highlight, c.Label))],
                    },
                }, SplitOf(first), ct);
                Summary.Row("confirmed");
            }

            Summary.Skip("rated negatively (not in sft)", review.Comments.Count(c => c.Label.Label == false));

            Summary.Skip("missed bug (in dpo only)", review.MissedBugs.Count);
        }, ct);
    }

    public async Task ExportRatingsAsync(IExportSink<RatingRow> sink, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(sink);
        await foreach (var e in _store.ReadExportEventsAsync(_options.Filter, ct))
        {
            _progress.Tick();
            Summary.Events++;
            if (Excluded(e.Repository))
            {
                Summary.Skip("private repository");
                continue;
            }

            var permission = RaterRoles.Parse(e.RaterPermission);
            if (_options.MinPermission is { } minimum && e.RaterLogin is not null && permission < minimum)
            {
                Summary.Skip("rater below --min-permission");
                continue;
            }

            var kind = e.Kind.ToStored();
            await sink.WriteAsync(new RatingRow
            {
                EventId = e.Id,
                Kind = kind,
                Value = e.Value?.ToStored(),
                Rating = e.Rating,
                Content = e.Content,
                Text = _pseudonyms.Scrub(e.Text),
                Rater = _pseudonyms.OfNullable(e.RaterLogin),
                RaterPermission = e.RaterPermission,
                RaterIsAuthor = e.RaterIsAuthor,
                OccurredAt = e.OccurredAt.UtcDateTime,
                ReportedPath = e.Kind == FeedbackKind.MissedBug ? e.EventPath : null,
                ReportedLine = e.Kind == FeedbackKind.MissedBug ? e.EventLine : null,
                EventHeadSha = e.EventHeadSha,
                Metadata = Metadata(e, null),
            }, SplitOf(e), ct);
            Summary.Row(kind);
        }
    }

    private delegate ValueTask PairWriter(List<ChatMessage> prompt, string chosen, string rejected, PairMetadata metadata, ExportSplit split);

    /// <summary>
    /// dpo and openai-dpo: within one review, each positively labelled highlight against each negatively labelled
    /// one of the same prompt; and each missed-bug report (as a critique) against its chunk's critique.
    /// </summary>
    private async Task PairsAsync(PairWriter write, CancellationToken ct)
    {
        await using var prompts = await _store.OpenExportPromptReaderAsync(ct);
        var cache = new PromptCache(prompts);
        await ByReviewAsync(async review =>
        {
            foreach (var chunk in review.Comments.Where(c => c.Label.Label is not null).GroupBy(c => c.Highlight.PromptSha256!, StringComparer.Ordinal))
            {
                var positives = chunk.Where(c => c.Label.Label == true).OrderBy(c => c.Highlight.CandidateIndex).ToList();
                var negatives = chunk.Where(c => c.Label.Label == false).OrderBy(c => c.Highlight.CandidateIndex).ToList();
                if (positives.Count == 0 || negatives.Count == 0)
                {
                    Summary.Skip("no opposite verdict on the same prompt", positives.Count + negatives.Count);
                    continue;
                }

                if (await PromptOfAsync(cache, positives[0].Highlight, ct) is not { } prompt)
                {
                    continue;
                }

                foreach (var chosen in positives)
                {
                    var chosenText = CritiqueText.Of(chosen.Highlight);
                    foreach (var rejected in negatives)
                    {
                        await write(prompt, chosenText, CritiqueText.Of(rejected.Highlight), new PairMetadata
                        {
                            PairKind = "rated",
                            Chosen = Metadata(chosen.Highlight, chosen.Label),
                            Rejected = Metadata(rejected.Highlight, rejected.Label),
                        }, SplitOf(chosen.Highlight));
                        Summary.Pairs++;
                        Summary.Row("rated");
                    }
                }
            }

            foreach (var bug in review.MissedBugs)
            {
                if (bug.PromptSha256 is null || bug.MissedChunkCompletion is null || bug.EventPath is null || bug.EventLine is null)
                {
                    Summary.Skip("missed bug without its chunk's critique");
                    continue;
                }

                if (await PromptOfAsync(cache, bug, ct) is not { } prompt)
                {
                    continue;
                }

                var reporter = StandingOf(bug);
                await write(prompt, CritiqueText.MissedBug(bug.EventPath, bug.EventLine.Value, _pseudonyms.Scrub(bug.Text) ?? ""),
                    bug.MissedChunkCompletion, new PairMetadata
                    {
                        PairKind = "missed_bug",
                        Chosen = MissedBugMetadata(bug, reporter),
                        Rejected = CritiqueMetadata(bug),
                    }, SplitOf(bug));
                Summary.Pairs++;
                Summary.Row("missed_bug");
            }
        }, ct);
    }

    private sealed record LabelledComment(ExportEvent Highlight, CommentLabel Label);

    private sealed class ReviewGroup
    {
        public long ReviewId { get; set; }
        public List<LabelledComment> Comments { get; } = [];
        public List<ExportEvent> MissedBugs { get; } = [];
    }

    /// <summary>
    /// Streams events by comment, labels each comment, and hands over one review at a time: its labelled comments
    /// that have a recorded prompt, and its missed-bug reports that count. Everything left out is counted with why.
    /// </summary>
    private async Task ByReviewAsync(Func<ReviewGroup, Task> onReview, CancellationToken ct)
    {
        var review = new ReviewGroup { ReviewId = long.MinValue };
        var comment = new List<ExportEvent>();
        var minimum = _options.LabelMinimum;

        void CloseComment()
        {
            if (comment.Count == 0)
            {
                return;
            }

            var first = comment[0];
            var label = FeedbackLabels.Decide(comment, minimum);
            if (Excluded(first.Repository))
            {
                Summary.Skip("private repository");
            }
            else if (label.Label is null)
            {
                Summary.Skip(FeedbackLabels.SkipReason(label.Outcome));
            }
            else if (first.CandidateIndex is null || first.PromptSha256 is null)
            {
                Summary.Skip("no candidate or prompt recorded");
            }
            else
            {
                review.Comments.Add(new LabelledComment(first, label));
            }

            comment.Clear();
        }

        async Task CloseReviewAsync()
        {
            CloseComment();
            if (review.Comments.Count > 0 || review.MissedBugs.Count > 0)
            {
                await onReview(review);
            }

            review.Comments.Clear();
            review.MissedBugs.Clear();
        }

        await foreach (var e in _store.ReadExportEventsAsync(_options.Filter, ct))
        {
            _progress.Tick();
            Summary.Events++;
            if (e.ReviewId is not { } reviewId)
            {
                Summary.Skip(e.Kind == FeedbackKind.MissedBug ? "missed bug without a reviewed chunk" : "event on no recorded comment");
                continue;
            }

            if (reviewId != review.ReviewId)
            {
                await CloseReviewAsync();
                review.ReviewId = reviewId;
            }

            if (e.Kind == FeedbackKind.MissedBug)
            {
                if (Excluded(e.Repository))
                {
                    Summary.Skip("private repository");
                }
                else if (RaterRoles.Parse(e.RaterPermission) < minimum)
                {
                    Summary.Skip("missed bug reported below --min-permission");
                }
                else
                {
                    review.MissedBugs.Add(e);
                }

                continue;
            }

            if (e.Fingerprint is null)
            {
                Summary.Skip("event on no recorded comment");
                continue;
            }

            if (comment.Count > 0 && !string.Equals(comment[0].Fingerprint, e.Fingerprint, StringComparison.Ordinal))
            {
                CloseComment();
            }

            comment.Add(e);
        }

        await CloseReviewAsync();
    }

    /// <summary>
    /// A private repository (or one whose visibility was never recorded) is left out unless its maintainers set
    /// share_feedback: true or the operator passed --include-private.
    /// </summary>
    private bool Excluded(string repository)
    {
        if (_options.IncludePrivate)
        {
            return false;
        }

        if (!string.Equals(repository, _lastRepository, StringComparison.Ordinal))
        {
            _lastRepository = repository;
            _lastExcluded = !_sharing.TryGetValue(repository, out var sharing) || (sharing.IsPrivate != false && !sharing.ShareFeedback);
        }

        return _lastExcluded;
    }

    private ExportSplit SplitOf(ExportEvent e) => _split.Of(e.Repository, e.PullRequest);

    private async ValueTask<List<ChatMessage>?> PromptOfAsync(PromptCache cache, ExportEvent e, CancellationToken ct)
    {
        var prompt = await cache.GetAsync(e.PromptSha256!, ct);
        if (prompt is null)
        {
            Summary.Skip("prompt no longer stored");
        }

        return prompt;
    }

    private static List<ChatMessage> Assistant(string content) => [new ChatMessage { Role = "assistant", Content = content }];

    private StandingVerdict StandingOf(ExportEvent e) =>
        new(e.RaterLogin ?? "", RaterRoles.Parse(e.RaterPermission), e.RaterIsAuthor, FeedbackValue.Positive, true, null);

    // Rows are written once and never changed, so rows without raters can share one empty list.
    private static readonly List<RaterVerdict> NoRaters = [];

    private ExportMetadata Metadata(ExportEvent e, CommentLabel? label)
    {
        var counted = label?.Counted ?? [];
        return new ExportMetadata
        {
            Repository = e.Repository,
            PullRequest = e.PullRequest,
            HeadSha = e.ReviewHeadSha ?? e.EventHeadSha,
            ReviewId = e.ReviewId,
            Fingerprint = e.Fingerprint,
            Path = e.CommentPath ?? e.EventPath,
            StartLine = e.CommentStartLine,
            Line = e.CommentLine ?? e.EventLine,
            Side = e.CommentSide,
            Placement = e.Placement,
            Severity = e.Severity,
            Score = e.Score,
            Support = e.Support,
            GroupId = e.GroupId,
            CandidateIndex = e.CandidateIndex,
            Model = e.Model,
            Temperature = e.Temperature,
            ChunkIndex = e.ChunkIndex,
            Sample = e.SampleIndex,
            Precision = e.Precision,
            PromptSha256 = e.PromptSha256,
            RaterPermission = label is null ? e.RaterPermission : counted.Count == 0 ? null : counted.Max(v => v.Permission).ToName(),
            RaterIsAuthor = label is null ? e.RaterIsAuthor : counted.Count == 0 ? null : counted.Any(v => v.IsAuthor == true),
            LabelSource = counted.Count == 0 ? null : counted.Any(v => v.FromCommand) ? "command" : "reaction",
            Raters = counted.Count == 0 ? NoRaters : [.. counted.Select(v => new RaterVerdict
            {
                Rater = _pseudonyms.Of(v.Login),
                Permission = v.Permission.ToName(),
                IsAuthor = v.IsAuthor,
                Verdict = v.Value.ToStored(),
                Source = v.FromCommand ? "command" : "reaction",
                Rating = v.Rating,
            })],
            Addressed = label?.Addressed ?? false,
            ThreadResolved = label?.ThreadResolved,
            Replies = label?.Replies ?? 0,
        };
    }

    private ExportMetadata MissedBugMetadata(ExportEvent bug, StandingVerdict reporter) => new()
    {
        Repository = bug.Repository,
        PullRequest = bug.PullRequest,
        HeadSha = bug.EventHeadSha ?? bug.ReviewHeadSha,
        ReviewId = bug.ReviewId,
        Path = bug.EventPath,
        Line = bug.EventLine,
        Severity = "bug",
        ChunkIndex = bug.ChunkIndex,
        Precision = bug.Precision,
        PromptSha256 = bug.PromptSha256,
        RaterPermission = reporter.Permission.ToName(),
        RaterIsAuthor = reporter.IsAuthor,
        LabelSource = "missed_bug",
        Raters = [new RaterVerdict
        {
            Rater = _pseudonyms.Of(reporter.Login),
            Permission = reporter.Permission.ToName(),
            IsAuthor = reporter.IsAuthor,
            Verdict = "positive",
            Source = "missed_bug",
        }],
    };

    private static ExportMetadata CritiqueMetadata(ExportEvent bug) => new()
    {
        Repository = bug.Repository,
        PullRequest = bug.PullRequest,
        HeadSha = bug.ReviewHeadSha,
        ReviewId = bug.ReviewId,
        Model = bug.Model,
        Temperature = bug.Temperature,
        ChunkIndex = bug.ChunkIndex,
        Precision = bug.Precision,
        PromptSha256 = bug.PromptSha256,
    };
}
