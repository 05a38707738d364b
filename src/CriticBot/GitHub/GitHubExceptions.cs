using System.Net;

namespace CriticBot.GitHub;

/// <summary>GitHub could not be reached or asked us to slow down beyond what we wait for: retry the delivery later.</summary>
public sealed class GitHubTransientException : Exception, Inbox.IRetryAfterHint
{
    public GitHubTransientException()
    {
    }

    public GitHubTransientException(string message)
        : base(message)
    {
    }

    public GitHubTransientException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public GitHubTransientException(string message, HttpStatusCode? statusCode, TimeSpan? retryAfter, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
        RetryAfter = retryAfter;
    }

    public HttpStatusCode? StatusCode { get; }

    /// <summary>How long GitHub asked us to wait, when it said.</summary>
    public TimeSpan? RetryAfter { get; }
}

/// <summary>GitHub refused a request for a reason retrying will not fix (bad App credentials, no access, not found).</summary>
public sealed class GitHubRequestException : Exception
{
    public GitHubRequestException()
    {
    }

    public GitHubRequestException(string message)
        : base(message)
    {
    }

    public GitHubRequestException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public GitHubRequestException(string message, HttpStatusCode statusCode, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
    }

    public HttpStatusCode? StatusCode { get; }
}

/// <summary>GitHub answered 422 to a review: usually a comment anchored outside the diff. GitHub does not say which.</summary>
public sealed class ReviewRejectedException : Exception
{
    public ReviewRejectedException()
    {
    }

    public ReviewRejectedException(string message)
        : base(message)
    {
    }

    public ReviewRejectedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ReviewRejectedException(string gitHubMessage, IReadOnlyList<string> errors, Exception? innerException = null)
        : base(errors.Count == 0 ? $"GitHub rejected the review: {gitHubMessage}" : $"GitHub rejected the review: {gitHubMessage}: {string.Join("; ", errors)}", innerException)
    {
        GitHubMessage = gitHubMessage;
        Errors = errors;
    }

    /// <summary>GitHub's <c>message</c>, e.g. "Unprocessable Entity".</summary>
    public string GitHubMessage { get; } = "";

    /// <summary>GitHub's <c>errors</c>, e.g. "Pull request review thread line must be part of the diff".</summary>
    public IReadOnlyList<string> Errors { get; } = [];
}

/// <summary>A GitHub App setting is missing or wrong; the message is one line naming the setting, never its secret value.</summary>
public sealed class GitHubConfigurationException : Exception
{
    public GitHubConfigurationException()
    {
    }

    public GitHubConfigurationException(string message)
        : base(message)
    {
    }

    public GitHubConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
