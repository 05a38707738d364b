using System.Reflection;
using System.Text.RegularExpressions;

namespace CriticBot.Tests.Safety;

/// <summary>
/// Every regular expression in the service and the engine may see untrusted text (PR content, model output, error
/// messages), so each must be non-backtracking or have a match timeout: no input can make one run for long.
/// </summary>
public sealed class RegexGuardTests
{
    [Fact]
    public void Every_regular_expression_is_non_backtracking_or_has_a_timeout()
    {
        var assemblies = new[] { typeof(CriticBot.Reviews.ReviewBody).Assembly, typeof(CriticBot.Engine.CriticOptions).Assembly };
        var found = new List<(string Name, Regex Regex)>();
        foreach (var type in assemblies.SelectMany(a => a.GetTypes()))
        {
            const BindingFlags all = BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
            foreach (var method in type.GetMethods(all).Where(m => m.ReturnType == typeof(Regex) && m.GetParameters().Length == 0 && !m.ContainsGenericParameters))
            {
                found.Add(($"{type.FullName}.{method.Name}", (Regex)method.Invoke(null, null)!));
            }

            foreach (var field in type.GetFields(all).Where(f => f.FieldType == typeof(Regex) && !type.ContainsGenericParameters))
            {
                if (field.GetValue(null) is Regex regex)
                {
                    found.Add(($"{type.FullName}.{field.Name}", regex));
                }
            }
        }

        // Generated regexes are found (the secret masking of failure reasons is one).
        Assert.Contains(found, r => r.Name.EndsWith("FailureReason.SecretPattern", StringComparison.Ordinal));
        var unguarded = found
            .Where(r => !r.Regex.Options.HasFlag(RegexOptions.NonBacktracking) && r.Regex.MatchTimeout == Regex.InfiniteMatchTimeout)
            .Select(r => r.Name)
            .Distinct()
            .ToList();
        Assert.True(unguarded.Count == 0, "unguarded: " + string.Join(", ", unguarded));
    }
}
