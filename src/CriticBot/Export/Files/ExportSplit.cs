namespace CriticBot.Export.Files;

/// <summary>Which file a row goes to. Without <c>--split</c> every row is <see cref="Train"/>.</summary>
public enum ExportSplit
{
    Train,
    Test,
}
