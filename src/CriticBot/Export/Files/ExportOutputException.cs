namespace CriticBot.Export.Files;

/// <summary>
/// <c>--out</c> cannot be used as given (an existing file where a folder is needed, a split to standard output, an
/// unwritable place). The message is for the user as it stands; the command maps it to the usage exit code.
/// </summary>
public sealed class ExportOutputException : Exception
{
    public ExportOutputException()
    {
    }

    public ExportOutputException(string message) : base(message)
    {
    }

    public ExportOutputException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
