using System.Globalization;
using System.Text;
using CriticBot.Engine.Safety;
using YamlDotNet.Serialization;

namespace CriticBot.Export.Files;

/// <summary>
/// Finishes a Hugging Face dataset folder: the <c>README.md</c> dataset card (YAML front matter that
/// <c>datasets.load_dataset(DIR)</c> reads for its splits and features, then the schema, label rule, counts and
/// provenance in Markdown), and removes data files an earlier export left that this one did not write.
/// </summary>
internal static class DatasetFolder
{
    /// <summary>
    /// Writes the card under its pending name, before any data file is committed, so what can still fail after the
    /// data is in place is a rename (<see cref="FinishAsync"/>), not a write.
    /// </summary>
    public static async Task<PendingFile> WriteCardAsync(string folder, DatasetCard card, RowShape shape, IReadOnlyDictionary<ExportSplit, long> rowsPerSplit, CancellationToken cancellationToken)
    {
        var readme = PendingFile.Create(Path.Combine(folder, "README.md"));
        try
        {
            await readme.Stream.WriteAsync(new UTF8Encoding(false).GetBytes(Render(card, shape, rowsPerSplit)), cancellationToken);
            return readme;
        }
        catch
        {
            await readme.DisposeAsync();
            throw;
        }
    }

    /// <summary>Once the data files are committed: removes those an earlier export left that this one did not write, then commits the card.</summary>
    public static async Task FinishAsync(string folder, PendingFile readme, IEnumerable<ExportSplit> written, CancellationToken cancellationToken)
    {
        RemoveStaleDataFiles(folder, written);
        await readme.CommitAsync(cancellationToken);
    }

    /// <summary>The card's text: YAML front matter, then Markdown.</summary>
    public static string Render(DatasetCard card, RowShape shape, IReadOnlyDictionary<ExportSplit, long> rowsPerSplit)
    {
        var text = new StringBuilder();
        text.Append("---\n").Append(FrontMatter(card, shape, rowsPerSplit)).Append("---\n\n");
        text.Append(CultureInfo.InvariantCulture, $"# CriticBot feedback export: {card.Format}\n\n");
        text.Append("Maintainers' feedback on the review comments of CriticBot, an LLM ")
            .Append("critic of pull requests, exported by `criticbot export`.\n\n");
        if (!string.IsNullOrWhiteSpace(card.DescriptionMarkdown))
        {
            text.Append(card.DescriptionMarkdown.Trim()).Append("\n\n");
        }

        text.Append("## Loading\n\n```python\nfrom datasets import load_dataset\n\n")
            .Append("dataset = load_dataset(\"path/to/this/folder\")  # or the repository id once uploaded\n")
            .Append(CultureInfo.InvariantCulture, $"print(dataset[\"{Name(ExportSplit.Train)}\"][0])\n```\n\n");

        text.Append("## Splits\n\n| split | rows | file |\n| --- | ---: | --- |\n");
        foreach (var (split, rows) in rowsPerSplit.OrderBy(s => s.Key))
        {
            text.Append(CultureInfo.InvariantCulture, $"| {Name(split)} | {rows} | `{DataFile(split)}` |\n");
        }

        if (card.SplitFraction is { } fraction)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"\nSplit by pull request (no pull request has rows on both sides): {fraction:0.###} of pull requests to train, seed {card.SplitSeed?.ToString(CultureInfo.InvariantCulture) ?? "none"}.\n");
        }

        text.Append("\n## Schema\n\n| column | type | description |\n| --- | --- | --- |\n");
        foreach (var (path, field) in Flatten(shape, ""))
        {
            text.Append(CultureInfo.InvariantCulture, $"| `{path}` | {TypeName(field)} | {Cell(field.Description ?? "")} |\n");
        }

        text.Append("\n## Label rule\n\n").Append(card.LabelRuleMarkdown.Trim()).Append("\n\n");

        text.Append("## Counts\n\n");
        if (card.RowsPerLabel.Count > 0)
        {
            text.Append("| label | rows |\n| --- | ---: |\n");
            foreach (var (label, rows) in card.RowsPerLabel.OrderBy(l => l.Key, StringComparer.Ordinal))
            {
                text.Append(CultureInfo.InvariantCulture, $"| {Cell(label)} | {rows} |\n");
            }

            text.Append('\n');
        }

        if (card.Pairs is { } pairs)
        {
            text.Append(CultureInfo.InvariantCulture, $"Preference pairs: {pairs}.\n\n");
        }

        if (card.Skipped.Count > 0)
        {
            text.Append("Left out:\n\n| reason | count |\n| --- | ---: |\n");
            foreach (var (reason, count) in card.Skipped.OrderByDescending(s => s.Value).ThenBy(s => s.Key, StringComparer.Ordinal))
            {
                text.Append(CultureInfo.InvariantCulture, $"| {Cell(reason)} | {count} |\n");
            }

            text.Append('\n');
        }
        else
        {
            text.Append("Nothing was left out.\n\n");
        }

        text.Append("## Provenance\n\n");
        text.Append(CultureInfo.InvariantCulture, $"- Exported by criticbot {Cell(card.CriticBotVersion)} at {card.ExportedAt.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ} from a {Cell(card.DatabaseKind)} database.\n");
        text.Append("- Filters: ");
        text.Append(card.Filters.Count == 0
            ? "none."
            : string.Join(", ", card.Filters.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"`{Code(f.Key)} {Code(f.Value)}`")) + ".");
        text.Append('\n');
        text.Append(card.LoginsPseudonymised
            ? "- Rater logins are pseudonyms (a keyed hash, stable across exports of the same database).\n"
            : "- Rater logins are the raw GitHub logins (`--raw-logins`).\n");
        text.Append(card.IncludesPrivateRepositories
            ? "- Private repositories are included whatever their `share_feedback` setting (`--include-private`).\n"
            : "- Private repositories are included only where their `.github/criticbot.yml` says `share_feedback: true`.\n");
        return text.ToString();
    }

    private static string FrontMatter(DatasetCard card, RowShape shape, IReadOnlyDictionary<ExportSplit, long> rowsPerSplit)
    {
        var splits = rowsPerSplit.OrderBy(s => s.Key).ToList();
        var document = new Dictionary<string, object>
        {
            ["pretty_name"] = $"CriticBot feedback ({card.Format})",
            ["tags"] = new List<string> { "criticbot", "code-review", "human-feedback", card.Format },
            ["configs"] = new List<object>
            {
                new Dictionary<string, object>
                {
                    ["config_name"] = "default",
                    ["data_files"] = splits.Select(s => new Dictionary<string, object> { ["split"] = Name(s.Key), ["path"] = DataFile(s.Key) }).ToList(),
                },
            },
            ["dataset_info"] = new Dictionary<string, object>
            {
                ["features"] = shape.Fields.Select(Feature).ToList(),
                ["splits"] = splits.Select(s => new Dictionary<string, object> { ["name"] = Name(s.Key), ["num_examples"] = s.Value }).ToList(),
            },
        };
        return new SerializerBuilder().DisableAliases().Build().Serialize(document);
    }

    /// <summary>A field as the Hugging Face card's <c>dataset_info.features</c> writes it.</summary>
    private static Dictionary<string, object> Feature(RowField field)
    {
        var feature = new Dictionary<string, object> { ["name"] = field.Name };
        AddType(feature, field);
        return feature;
    }

    private static void AddType(Dictionary<string, object> feature, RowField field)
    {
        switch (field.Kind)
        {
            case FieldKind.Struct:
                feature["struct"] = field.Struct!.Fields.Select(Feature).ToList();
                break;
            case FieldKind.List when field.Element!.Kind == FieldKind.Struct:
                feature["list"] = field.Element.Struct!.Fields.Select(Feature).ToList();
                break;
            case FieldKind.List:
                var element = new Dictionary<string, object>();
                AddType(element, field.Element!);
                feature["list"] = element.Count == 1 && element.TryGetValue("dtype", out var dtype) ? dtype : element;
                break;
            default:
                feature["dtype"] = DataType(field);
                break;
        }
    }

    /// <summary>The Arrow type names <c>datasets</c> uses, matching what Parquet.Net writes for each CLR type.</summary>
    private static string DataType(RowField field) => field.Kind switch
    {
        FieldKind.String => "string",
        FieldKind.Boolean => "bool",
        FieldKind.Int32 => "int32",
        FieldKind.Int64 => "int64",
        FieldKind.Float64 => "float64",
        FieldKind.Timestamp => field.TimestampType!,
        _ => throw new ArgumentOutOfRangeException(nameof(field), field.Kind, null),
    };

    private static IEnumerable<(string Path, RowField Field)> Flatten(RowShape shape, string prefix)
    {
        foreach (var field in shape.Fields)
        {
            var path = prefix + field.Name;
            yield return (path, field);
            var inner = field.Kind == FieldKind.Struct ? field.Struct
                : field.Kind == FieldKind.List && field.Element!.Kind == FieldKind.Struct ? field.Element.Struct
                : null;
            if (inner is not null)
            {
                foreach (var nested in Flatten(inner, path + (field.Kind == FieldKind.List ? "[]." : ".")))
                {
                    yield return nested;
                }
            }
        }
    }

    private static string TypeName(RowField field)
    {
        var name = field.Kind switch
        {
            FieldKind.Struct => "struct",
            FieldKind.List => $"list of {TypeName(field.Element!).Replace(" (nullable)", "", StringComparison.Ordinal)}",
            _ => DataType(field),
        };
        return field.Nullable ? name + " (nullable)" : name;
    }

    private static void RemoveStaleDataFiles(string folder, IEnumerable<ExportSplit> written)
    {
        var keep = written.Select(s => Path.GetFileName(DataFile(s))).ToHashSet(StringComparer.Ordinal);
        var data = Path.Combine(folder, "data");
        foreach (var path in Directory.EnumerateFiles(data, "*.parquet"))
        {
            var name = Path.GetFileName(path);
            if ((name.StartsWith("train-", StringComparison.Ordinal) || name.StartsWith("test-", StringComparison.Ordinal)) && !keep.Contains(name))
            {
                File.Delete(path);
            }
        }
    }

    private static string Name(ExportSplit split) => split == ExportSplit.Train ? "train" : "test";

    private static string DataFile(ExportSplit split) => split == ExportSplit.Train ? ExportSinks.TrainDataFile : ExportSinks.TestDataFile;

    /// <summary>A value inside a Markdown table cell: one line, pipes escaped.</summary>
    private static string Cell(string value) => MarkdownText.TableCell(value);

    private static string Code(string value) => Cell(value).Replace("`", "'", StringComparison.Ordinal);
}
