using CriticBot.Cli;

// One executable, several subcommands: `criticbot serve` and `criticbot review` (export and eval come next).
return await CriticBotCli.RunAsync(args);
