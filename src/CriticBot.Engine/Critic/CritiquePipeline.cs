using CriticBot.Engine.Chunking;
using CriticBot.Engine.Diff;
using CriticBot.Engine.Grounding;
using CriticBot.Engine.Model;
using CriticBot.Engine.Prompting;
using CriticBot.Engine.Safety;
using CriticBot.Engine.Selection;

namespace CriticBot.Engine.Critic;

/// <summary>One chunk to review: the rendered diff text the model sees and the files it covers.</summary>
internal sealed record ChunkToReview(int Index, string Text, IReadOnlyList<FileDiff> Files);

/// <summary>The settings of one review that the pipeline needs (chunking aside).</summary>
internal sealed record PipelineSettings
{
    public required int Samples { get; init; }
    public required double Precision { get; init; }
    public required int MaxComments { get; init; }
    public required int MaxConcurrency { get; init; }
    public required float Temperature { get; init; }
    public required int MaxOutputTokens { get; init; }
    public required PromptGuidance Guidance { get; init; }
    public required string RepositoryHost { get; init; }
    public string? Repository { get; init; }

    /// <summary>The most model calls, retries included (the chunks were already cut to fit the first answers).</summary>
    public int MaxModelCalls { get; init; } = int.MaxValue;

    public string? Tenant { get; init; }

    /// <summary>Draw a majority of a chunk's samples first, the rest only if they could change its outcome (see <see cref="HighlightSelector.IsSettled"/>).</summary>
    public bool AdaptiveSampling { get; init; }

    public ModelPrices Prices { get; init; } = ModelPrices.None;
    public string? PricedModel { get; init; }

    /// <summary>The cost estimated before sending (see <see cref="ReviewUsage.EstimatedCostUsd"/>).</summary>
    public decimal? EstimatedCostUsd { get; init; }
}

/// <summary>prompt → samples → grounding → selection → sanitised comments, for chunks already planned.</summary>
internal sealed class CritiquePipeline(ICriticModel model, IHighlightScorer scorer, PromptBuilder prompts, TimeProvider? time = null)
{
    public async Task<CritiqueResult> RunAsync(
        IReadOnlyList<ChunkToReview> chunks,
        PipelineSettings settings,
        IReadOnlyList<SkippedFile> skippedFiles,
        IReadOnlyList<string> truncations,
        CancellationToken cancellationToken)
    {
        var promptRecords = chunks.Select(c => new PromptRecord(c.Index, prompts.Build(c.Text, settings.Guidance))).ToList();

        // Ground each highlight in what its sample was shown: the parts of files in its own chunk
        // (a large file may be split over several chunks, each holding different hunks).
        var grounding = chunks.ToDictionary(c => c.Index, c => new GroundingIndex(c.Files));
        var selector = new HighlightSelector(scorer);
        var selection = new SelectionSettings
        {
            Precision = settings.Precision,
            MaxComments = settings.MaxComments,
            Samples = settings.Samples,
        };

        IReadOnlyList<CritiqueSample> samples = [];
        IReadOnlyList<ChunkSampling> sampling = [];
        if (chunks.Count > 0 && settings.Samples > 0)
        {
            using var sampler = new CritiqueSampler(model, settings.MaxConcurrency, time);
            var sampled = await sampler.SampleChunksAsync(
                [.. promptRecords.Select(p => (p.ChunkIndex, p.Prompt))],
                new SamplingSettings
                {
                    Samples = settings.Samples,
                    Temperature = settings.Temperature,
                    MaxOutputTokens = settings.MaxOutputTokens,
                    MaxCalls = settings.MaxModelCalls,
                    Tenant = settings.Tenant,
                    IsSettled = settings.AdaptiveSampling
                        ? (chunkIndex, drawn) => selector.IsSettled(GroupsOf(drawn, grounding[chunkIndex]), settings.Samples - drawn.Count, selection)
                        : null,
                },
                cancellationToken);
            (samples, sampling) = (sampled.Samples, sampled.Chunks);
        }

        var candidates = new List<(int Id, CritiqueSample Sample, int Position, RawHighlight Raw, GroundingResult Grounding)>();
        foreach (var sample in samples)
        {
            for (var position = 0; position < sample.Highlights.Count; position++)
            {
                var highlight = sample.Highlights[position];
                candidates.Add((candidates.Count, sample, position, highlight, grounding[sample.ChunkIndex].Ground(highlight)));
            }
        }

        var groups = HighlightSelector.Group(candidates
            .Where(c => c.Grounding.IsGrounded)
            .Select(c => new GroundedHighlight
            {
                CandidateId = c.Id,
                ChunkIndex = c.Sample.ChunkIndex,
                SampleIndex = c.Sample.SampleIndex,
                Highlight = c.Raw,
                Anchor = c.Grounding.Anchor!,
            }));
        var selected = selector.Select(groups, selection);

        var sanitizer = new OutputSanitizer(settings.RepositoryHost, repository: settings.Repository);
        var comments = selected
            .Where(s => s.Decision == CandidateDecision.Kept)
            .Select(s => ToComment(s, sanitizer))
            .ToList();

        var byCandidate = new Dictionary<int, ScoredGroup>();
        foreach (var scored in selected)
        {
            foreach (var member in scored.Group.Members)
            {
                byCandidate[member.CandidateId] = scored;
            }
        }

        var calls = samples.SelectMany(s => s.CallRecords).ToList();
        var records = candidates.Select(c => Record(c.Id, c.Sample, c.Position, c.Raw, c.Grounding, byCandidate.GetValueOrDefault(c.Id))).ToList();
        return new CritiqueResult
        {
            Comments = comments,
            Dropped = new DroppedCounts
            {
                Ungrounded = records.Count(r => r.Decision == CandidateDecision.Ungrounded),
                Duplicates = records.Count(r => r.Decision == CandidateDecision.Duplicate),
                BelowThreshold = selected.Count(s => s.Decision == CandidateDecision.BelowThreshold),
                OverLimit = selected.Count(s => s.Decision == CandidateDecision.OverLimit),
            },
            SkippedFiles = skippedFiles,
            Truncations = truncations,
            Usage = new ReviewUsage
            {
                Calls = samples.Sum(s => s.Calls),
                PromptTokens = samples.Sum(s => s.PromptTokens),
                CachedPromptTokens = samples.Sum(s => s.CachedPromptTokens),
                CompletionTokens = samples.Sum(s => s.CompletionTokens),
                FailedSamples = samples.Count(s => s.Failed),
                EstimatedCostUsd = settings.EstimatedCostUsd,
                CostUsd = CostOf(calls, settings),
            },
            Candidates = records,
            Prompts = promptRecords,
            SampleFailures = [.. samples.Where(s => s.Failed).Select(s => new SampleFailure(s.ChunkIndex, s.SampleIndex, s.Error ?? "no usable answer"))],
            ModelCalls = calls,
            Sampling = sampling,
        };
    }

    /// <summary>The places one chunk's samples so far flagged, grouped as the final selection groups them.</summary>
    private static IReadOnlyList<HighlightGroup> GroupsOf(IReadOnlyList<CritiqueSample> drawn, GroundingIndex grounding)
    {
        var grounded = new List<GroundedHighlight>();
        foreach (var sample in drawn)
        {
            foreach (var highlight in sample.Highlights)
            {
                if (grounding.Ground(highlight) is { IsGrounded: true, Anchor: { } anchor })
                {
                    grounded.Add(new GroundedHighlight
                    {
                        CandidateId = grounded.Count,
                        ChunkIndex = sample.ChunkIndex,
                        SampleIndex = sample.SampleIndex,
                        Highlight = highlight,
                        Anchor = anchor,
                    });
                }
            }
        }

        return HighlightSelector.Group(grounded);
    }

    /// <summary>
    /// What the calls cost at the configured prices, each priced by the model its answer named (the configured one
    /// when it named none); null when a call that used tokens has no price, since a partial sum would mislead.
    /// </summary>
    private static decimal? CostOf(IReadOnlyList<ModelCallRecord> calls, PipelineSettings settings)
    {
        if (settings.Prices.Prices.Count == 0)
        {
            return null;
        }

        var total = 0m;
        foreach (var call in calls.Where(c => c.PromptTokens > 0 || c.CompletionTokens > 0))
        {
            if ((settings.Prices.For(call.Model) ?? settings.Prices.For(settings.PricedModel)) is not { } price)
            {
                return null;
            }

            total += price.Cost(call.PromptTokens, call.CachedPromptTokens, call.CompletionTokens);
        }

        return total;
    }

    private static ReviewComment ToComment(ScoredGroup scored, OutputSanitizer sanitizer)
    {
        var representative = scored.Group.Representative;
        var anchor = representative.Anchor;
        return new ReviewComment
        {
            Path = anchor.Path,
            Line = anchor.Line,
            Side = anchor.Side,
            StartLine = anchor.IsMultiLine ? anchor.StartLine : null,
            Quote = OutputSanitizer.SanitizeCode(representative.Highlight.Quote),
            Severity = scored.Group.Severity,
            Body = sanitizer.Sanitize(representative.Highlight.Body),
            Score = scored.Score,
            Support = scored.Group.Support,
            GroupId = scored.Group.Id,
        };
    }

    private static CandidateRecord Record(int id, CritiqueSample sample, int position, RawHighlight raw, GroundingResult grounding, ScoredGroup? group)
    {
        CandidateDecision decision;
        string reason;
        if (!grounding.IsGrounded || group is null)
        {
            (decision, reason) = (CandidateDecision.Ungrounded, grounding.Reason ?? "not grounded");
            return new CandidateRecord
            {
                Id = id,
                ChunkIndex = sample.ChunkIndex,
                SampleIndex = sample.SampleIndex,
                Attempt = sample.ParsedAttempt,
                Position = position,
                Raw = raw,
                Anchor = grounding.Anchor,
                Decision = decision,
                ReasonCode = CandidateReasons.Of(grounding.Failure),
                Reason = reason,
            };
        }
        else if (group.Group.Representative.CandidateId != id)
        {
            (decision, reason) = (CandidateDecision.Duplicate, $"merged into group {group.Group.Id}, represented by candidate {group.Group.Representative.CandidateId}");
        }
        else
        {
            (decision, reason) = (group.Decision, group.Reason);
        }

        return new CandidateRecord
        {
            Id = id,
            ChunkIndex = sample.ChunkIndex,
            SampleIndex = sample.SampleIndex,
            Attempt = sample.ParsedAttempt,
            Position = position,
            Raw = raw,
            Anchor = grounding.Anchor,
            GroupId = group.Group.Id,
            Support = group.Group.Support,
            Score = group.Score,
            Decision = decision,
            ReasonCode = CandidateReasons.Of(decision),
            Reason = reason,
        };
    }
}
