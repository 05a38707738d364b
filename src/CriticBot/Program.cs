using CriticBot.Commands;

// One executable, several subcommands (src/CriticBot/Commands): serve, review, db, forget; export and eval come next.
return await CriticBotCli.RunAsync(args);
