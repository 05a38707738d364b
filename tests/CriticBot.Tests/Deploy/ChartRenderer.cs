using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.Serialization;

namespace CriticBot.Tests.Deploy;

/// <summary>Helm's <c>fail</c>: the chart refused the values.</summary>
public sealed class ChartFailedException(string message) : Exception(message);

/// <summary>
/// Renders deploy/helm/criticbot without helm (which cannot be installed here: no Debian package, and its download
/// site and the Go module proxy are unreachable). It implements the subset of Go templates and Sprig that the
/// chart uses — fields of .Values/.Release/.Chart, define/include, if/else/end, and, not, gt, int, default,
/// quote, toYaml, nindent, fail — and throws on anything else, so the chart cannot silently use more than this
/// checks. The output is then parsed as YAML by the tests.
/// </summary>
public sealed partial class ChartRenderer
{
    private readonly Dictionary<string, List<Node>> _defines = new(StringComparer.Ordinal);
    private readonly Dictionary<string, object?> _root;

    public ChartRenderer(string chartDirectory, IReadOnlyDictionary<string, object?> overrides, string releaseName = "review")
    {
        var deserializer = new DeserializerBuilder().Build();
        var values = deserializer.Deserialize<Dictionary<object, object?>>(File.ReadAllText(Path.Combine(chartDirectory, "values.yaml")));
        foreach (var (path, value) in overrides)
            Set(values, path.Split('.'), value);
        var chart = deserializer.Deserialize<Dictionary<object, object?>>(File.ReadAllText(Path.Combine(chartDirectory, "Chart.yaml")));
        _root = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["Values"] = values,
            ["Release"] = new Dictionary<object, object?> { ["Name"] = releaseName, ["Namespace"] = "default", ["Service"] = "Helm" },
            ["Chart"] = new Dictionary<object, object?> { ["Name"] = chart["name"], ["Version"] = chart["version"], ["AppVersion"] = chart["appVersion"] },
        };
        TemplatesDirectory = Path.Combine(chartDirectory, "templates");
        foreach (var helper in Directory.GetFiles(TemplatesDirectory, "_*.tpl"))
            Render(Parse(File.ReadAllText(helper)));
    }

    public string TemplatesDirectory { get; }

    /// <summary>Every template (not the helpers), rendered: file name → text.</summary>
    public IReadOnlyDictionary<string, string> RenderAll() =>
        Directory.GetFiles(TemplatesDirectory, "*.yaml").Order(StringComparer.Ordinal)
            .ToDictionary(file => Path.GetFileName(file), file => Render(Parse(File.ReadAllText(file))), StringComparer.Ordinal);

    private static void Set(Dictionary<object, object?> values, string[] path, object? value)
    {
        var node = values;
        foreach (var key in path[..^1])
        {
            if (node.GetValueOrDefault(key) is not Dictionary<object, object?> child)
                node[key] = child = [];
            node = child;
        }

        node[path[^1]] = value;
    }

    // ---- Parsing: text and actions, with {{- and -}} trimming; if/else/end and define/end nest. ----

    private abstract record Node;
    private sealed record TextNode(string Text) : Node;
    private sealed record ActionNode(string Expression) : Node;
    private sealed record IfNode(string Condition, List<Node> Then, List<Node> Else) : Node;
    private sealed record DefineNode(string Name, List<Node> Body) : Node;

    private static List<Node> Parse(string template)
    {
        var tokens = new List<(bool IsAction, string Text)>();
        var position = 0;
        foreach (Match match in ActionPattern().Matches(template))
        {
            var text = template[position..match.Index];
            if (match.Groups["ltrim"].Success)
                text = text.TrimEnd();
            tokens.Add((false, text));
            tokens.Add((true, match.Groups["body"].Value.Trim()));
            position = match.Index + match.Length;
            if (match.Groups["rtrim"].Success)
            {
                while (position < template.Length && char.IsWhiteSpace(template[position]))
                    position++;
            }
        }

        tokens.Add((false, template[position..]));
        var index = 0;
        var nodes = ParseBlock(tokens, ref index, out var terminator);
        if (terminator is not null)
            throw new InvalidOperationException($"unexpected {{{{ {terminator} }}}}");
        return nodes;
    }

    private static List<Node> ParseBlock(List<(bool IsAction, string Text)> tokens, ref int index, out string? terminator)
    {
        var nodes = new List<Node>();
        while (index < tokens.Count)
        {
            var (isAction, text) = tokens[index++];
            if (!isAction)
            {
                if (text.Length > 0)
                    nodes.Add(new TextNode(text));
                continue;
            }

            if (text.StartsWith("/*", StringComparison.Ordinal))
                continue;
            if (text is "end" or "else")
            {
                terminator = text;
                return nodes;
            }

            if (text.StartsWith("if ", StringComparison.Ordinal))
            {
                var then = ParseBlock(tokens, ref index, out var end);
                var otherwise = new List<Node>();
                if (end == "else")
                    otherwise = ParseBlock(tokens, ref index, out end);
                if (end != "end")
                    throw new InvalidOperationException("if without end");
                nodes.Add(new IfNode(text[3..], then, otherwise));
            }
            else if (text.StartsWith("define ", StringComparison.Ordinal))
            {
                var body = ParseBlock(tokens, ref index, out var end);
                if (end != "end")
                    throw new InvalidOperationException("define without end");
                nodes.Add(new DefineNode(Unquote(text[7..].Trim()), body));
            }
            else
            {
                nodes.Add(new ActionNode(text));
            }
        }

        terminator = null;
        return nodes;
    }

    // ---- Rendering ----

    private string Render(List<Node> nodes)
    {
        var output = new StringBuilder();
        foreach (var node in nodes)
        {
            switch (node)
            {
                case TextNode text:
                    output.Append(text.Text);
                    break;
                case DefineNode define:
                    _defines[define.Name] = define.Body;
                    break;
                case IfNode branch:
                    output.Append(Render(Truthy(Evaluate(branch.Condition)) ? branch.Then : branch.Else));
                    break;
                case ActionNode action:
                    output.Append(Format(Evaluate(action.Expression)));
                    break;
            }
        }

        return output.ToString();
    }

    private object? Evaluate(string expression)
    {
        var stages = SplitOutside(expression, '|');
        object? value = null;
        for (var i = 0; i < stages.Count; i++)
        {
            var terms = Terms(stages[i].Trim());
            var args = terms.Skip(1).Select(EvaluateTerm).ToList();
            if (i > 0)
                args.Add(value);
            value = terms.Count == 1 && i == 0 ? EvaluateTerm(terms[0]) : Call(terms[0], args);
        }

        return value;
    }

    private object? EvaluateTerm(string term)
    {
        if (term.StartsWith('(') && term.EndsWith(')'))
            return Evaluate(term[1..^1]);
        if (term.StartsWith('"'))
            return Unquote(term);
        if (term == ".")
            return _root;
        if (long.TryParse(term, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number))
            return number;
        if (term.StartsWith('.'))
        {
            object? current = _root;
            foreach (var part in term[1..].Split('.'))
            {
                current = current switch
                {
                    Dictionary<string, object?> map => map.GetValueOrDefault(part),
                    Dictionary<object, object?> map => map.GetValueOrDefault(part),
                    _ => null,
                };
            }

            return current;
        }

        return Call(term, []);
    }

    private object? Call(string function, List<object?> args) => function switch
    {
        "include" => Render(_defines.TryGetValue((string)args[0]!, out var body) ? body : throw new InvalidOperationException($"no template {args[0]}")),
        "fail" => throw new ChartFailedException((string)args[0]!),
        "not" => !Truthy(args[0]),
        "and" => args.All(Truthy),
        "gt" => Convert.ToInt64(args[0], CultureInfo.InvariantCulture) > Convert.ToInt64(args[1], CultureInfo.InvariantCulture),
        "int" => Convert.ToInt64(Format(args[0]) is { Length: > 0 } text ? text : "0", CultureInfo.InvariantCulture),
        "default" => Truthy(args[1]) ? args[1] : args[0],
        "quote" => "\"" + Format(args[0]).Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"",
        "toYaml" => args[0] is null ? "" : new SerializerBuilder().Build().Serialize(args[0]).TrimEnd('\n'),
        "nindent" => "\n" + string.Join('\n', Format(args[1]).Split('\n').Select(line => line.Length == 0 ? line : new string(' ', (int)(long)args[0]!) + line)),
        _ => throw new NotSupportedException($"template function '{function}' is not supported by this renderer"),
    };

    private static bool Truthy(object? value) => value switch
    {
        null => false,
        bool b => b,
        string s => s.Length > 0,
        long n => n != 0,
        int n => n != 0,
        System.Collections.ICollection c => c.Count > 0,
        _ => true,
    };

    private static string Format(object? value) => value switch
    {
        null => "",
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string Unquote(string text) =>
        text.StartsWith('"') && text.EndsWith('"') ? Regex.Unescape(text[1..^1]) : text;

    /// <summary>Splits on <paramref name="separator"/> outside quotes and parentheses.</summary>
    private static List<string> SplitOutside(string text, char separator)
    {
        var parts = new List<string>();
        int depth = 0, start = 0;
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '"' && (i == 0 || text[i - 1] != '\\'))
                quoted = !quoted;
            else if (!quoted && c == '(')
                depth++;
            else if (!quoted && c == ')')
                depth--;
            else if (!quoted && depth == 0 && c == separator)
            {
                parts.Add(text[start..i]);
                start = i + 1;
            }
        }

        parts.Add(text[start..]);
        return parts;
    }

    private static List<string> Terms(string command) =>
        [.. SplitOutside(command, ' ').Select(t => t.Trim()).Where(t => t.Length > 0)];

    [GeneratedRegex(@"\{\{(?<ltrim>-\s)?(?<body>.*?)(?<rtrim>\s-)?\}\}", RegexOptions.Singleline)]
    private static partial Regex ActionPattern();
}
