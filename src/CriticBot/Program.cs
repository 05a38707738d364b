using CriticBot.Cli;

// One executable, several subcommands: `criticbot serve|review|export|eval`.
return await CriticBotCli.RunAsync(args);
