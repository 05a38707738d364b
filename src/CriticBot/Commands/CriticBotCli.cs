using System.CommandLine;
using CriticBot.Hosting;

namespace CriticBot.Commands;

public static class CriticBotCli
{
    /// <param name="stdin">What `review --diff -` reads; the console by default.</param>
    /// <param name="environment">The environment the commands read; the process's by default.</param>
    public static RootCommand CreateRootCommand(TextReader? stdin = null, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var root = new RootCommand("CriticBot: an LLM critic that reviews pull requests with grounded, line-anchored comments.");
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(ReviewCommand.Create(stdin, environment));
        root.Subcommands.Add(DbCommand.Create(environment));
        root.Subcommands.Add(ForgetCommand.Create(environment));
        root.Subcommands.Add(EvalCommand.Create(environment));
        root.Subcommands.Add(StatsCommand.Create(environment));
        root.Subcommands.Add(ExportCommand.Create(environment));
        return root;
    }

    /// <summary>Parses and runs; bad usage is one line on stderr and exit code 2, never a stack trace.</summary>
    public static async Task<int> RunAsync(
        string[] args,
        TextWriter? stdout = null,
        TextWriter? stderr = null,
        TextReader? stdin = null,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var root = CreateRootCommand(stdin, environment);
        var parsed = root.Parse(args);
        var config = new InvocationConfiguration
        {
            Output = stdout ?? Console.Out,
            Error = stderr ?? Console.Error,
            // The web host handles SIGTERM itself (graceful shutdown, claims released); no 2 s hard stop.
            ProcessTerminationTimeout = null,
        };
        if (parsed.Errors.Count > 0)
        {
            // Some parser messages list choices on several lines; the contract is one line.
            var message = Readable(string.Join(' ', parsed.Errors[0].Message.Split((char[])['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)));
            await config.Error.WriteLineAsync($"criticbot: {message} (see 'criticbot --help')");
            return ExitCodes.Usage;
        }

        return await parsed.InvokeAsync(config);
    }

    /// <summary>The parser names .NET types ("System.Nullable`1[System.Int32]"); people want "a whole number".</summary>
    private static string Readable(string message) => message
        .Replace("'System.Nullable`1[System.Int32]'", "a whole number", StringComparison.Ordinal)
        .Replace("'System.Int32'", "a whole number", StringComparison.Ordinal)
        .Replace("'System.Nullable`1[System.Double]'", "a number", StringComparison.Ordinal)
        .Replace("'System.Double'", "a number", StringComparison.Ordinal);
}
