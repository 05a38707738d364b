using System.Globalization;
using BenchmarkDotNet.Running;
using CriticBot.Benchmarks;

// "--write-synthetic-diff PATH [MIB]" writes the benchmarks' synthetic diff for whole-process comparisons
// (benchmarks/run-performance.sh); anything else runs BenchmarkDotNet.
if (args is ["--write-synthetic-diff", var path, ..])
{
    var mebibytes = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 52;
    await File.WriteAllTextAsync(path, SyntheticDiff.Generate(mebibytes << 20));
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
