using CriticBot.Engine.Diff;
using CriticBot.GitHub;
using CriticBot.Storage;

namespace CriticBot.Feedback;

/// <summary>
/// "Addressed": a later push changed the lines a bot comment was anchored on, a strong implicit sign the comment
/// was right. Read from the incremental diff the reviewer already fetched (the compare from the last reviewed head):
/// a comment made at that head is addressed when a line in its range was removed or rewritten; an older comment
/// (its line numbers may have moved since) when a removed line is one of its quoted lines. Each comment is
/// addressed once.
/// </summary>
public sealed class AddressedComments(IFeedbackLog log, TimeProvider time)
{
    public async Task<int> RecordAsync(string repository, int pullRequest, string sinceHead, string newHead, IReadOnlyList<ChangedFile> changed, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(changed);
        var comments = await log.ListCommentsAsync(repository, pullRequest, ct);
        if (comments.Count == 0 || changed.Count == 0)
        {
            return 0;
        }

        var files = new Dictionary<string, FileDiff>(StringComparer.Ordinal);
        foreach (var file in ReviewAnchors.DiffOf(changed, out _).Files)
        {
            files.TryAdd(file.OldPath ?? file.Path, file);
        }

        var recorded = 0;
        foreach (var comment in comments.Where(c => c.Side == "RIGHT"))
        {
            if (!files.TryGetValue(comment.Path, out var file))
            {
                continue;
            }

            var removed = file.Hunks.SelectMany(h => h.Lines).Where(l => l.Kind == DiffLineKind.Removed).ToList();
            var first = comment.StartLine ?? comment.Line;
            var quoteLines = comment.Quote.Split('\n').Select(Squash).Where(l => l.Length >= 3).ToHashSet(StringComparer.Ordinal);
            var hit = comment.HeadSha == sinceHead
                ? removed.Any(l => l.OldLine >= first && l.OldLine <= comment.Line)
                : removed.Any(l => quoteLines.Contains(Squash(l.Text)));
            if (!hit)
            {
                continue;
            }

            var now = time.GetUtcNow();
            if (await log.AppendAsync(FeedbackRouter.Link(comment) with
            {
                SourceKey = $"addressed:{comment.ReviewId}:{comment.Fingerprint}",
                Repository = repository,
                PullRequest = pullRequest,
                Kind = FeedbackKind.Addressed,
                OccurredAt = now,
                HeadSha = newHead,
            }, now, ct))
            {
                recorded++;
            }
        }

        return recorded;
    }

    private static string Squash(string text) => new([.. text.Where(c => !char.IsWhiteSpace(c))]);
}
