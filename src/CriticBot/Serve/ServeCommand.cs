using System.CommandLine;

namespace CriticBot.Serve;

public static class ServeCommand
{
    public static Command Create()
    {
        var command = new Command("serve", "Run the GitHub App webhook service.");
        command.SetAction(_ => 1);
        return command;
    }
}
