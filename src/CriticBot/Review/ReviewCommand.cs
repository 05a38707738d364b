using System.CommandLine;

namespace CriticBot.Review;

public static class ReviewCommand
{
    public static Command Create()
    {
        var command = new Command("review", "Critique a unified diff.");
        command.SetAction(_ => 1);
        return command;
    }
}
