using CriticBot.Testing.GitHub;

namespace CriticBot.Tests.GitHub;

/// <summary>Patches as GitHub's files API gives them: hunks only.</summary>
internal static class Patches
{
    /// <summary>Two hunks: old 10-13 / new 10-14, and old 40-42 / new 41-43; each line's numbers are noted beside it.</summary>
    public const string Calculator =
        "@@ -10,4 +10,5 @@ public sealed class Calculator\n" +
        " {\n" +                           // old 10, new 10
        "-    int Add(int a, int b) => a - b;\n" + // old 11
        "+    int Add(int a, int b) => a + b;\n" + // new 11
        "+    int Sub(int a, int b) => a - b;\n" + // new 12
        "     int Mul(int a, int b) => a * b;\n" + // old 12, new 13
        " }\n" +                           // old 13, new 14
        "@@ -40,3 +41,3 @@ static class Program\n" +
        "     static void Main()\n" +      // old 40, new 41
        "-        Run();\n" +              // old 41
        "+        RunAsync().Wait();\n" +  // new 42
        "     }\n";                        // old 42, new 43

    public static SimulatedFile CalculatorFile => SimulatedFile.WithPatch("src/Calculator.cs", Calculator);

    public static SimulatedFile Added(string path, int lines) =>
        SimulatedFile.WithPatch(path, $"@@ -0,0 +1,{lines} @@\n" + string.Concat(Enumerable.Range(1, lines).Select(i => $"+line {i}\n")), "added");
}
