using System.Text;
using CriticBot.Inbox;
using CriticBot.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CriticBot.Intake;

/// <summary>What intake answers for an accepted delivery.</summary>
public sealed record WebhookReceipt(string DeliveryId, string Status);

/// <summary>
/// POST /api/github/webhooks: verify, store durably, answer. Handlers never run here: the inbox worker is woken
/// instead, so GitHub gets its answer in milliseconds and a crash after the answer loses nothing.
/// </summary>
public static partial class WebhookEndpoints
{
    public const string Path = "/api/github/webhooks";
    private const int MaxHeaderValueLength = 200;

    /// <summary>What a refused request is told to wait before trying again.</summary>
    private const string RetryAfterSeconds = "1";

    public static IEndpointRouteBuilder MapGitHubWebhooks(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var settings = endpoints.ServiceProvider.GetRequiredService<IOptions<WebhookOptions>>().Value;
        // One per host: the limits bound this process's memory, whatever arrives.
        var limiter = new IntakeLimiter(settings.MaxConcurrentRequests, settings.MaxConcurrentLargeBodies);
        endpoints.MapPost(Path, (HttpRequest request, IDeliveryInbox store, InboxSignal inbox, IOptions<WebhookOptions> options,
                TimeProvider time, ILoggerFactory loggers, CriticBot.Observability.CriticBotMetrics metrics, CriticBot.Setup.AppSetup setup,
                CancellationToken ct) =>
                ReceiveAsync(request, store, inbox, options, limiter, time, loggers, metrics, setup, ct))
            .WithName("GitHubWebhook")
            .DisableAntiforgery();
        return endpoints;
    }

    internal static async Task<IResult> ReceiveAsync(
        HttpRequest request,
        IDeliveryInbox store,
        InboxSignal inbox,
        IOptions<WebhookOptions> options,
        IntakeLimiter limiter,
        TimeProvider time,
        ILoggerFactory loggers,
        CriticBot.Observability.CriticBotMetrics metrics,
        CriticBot.Setup.AppSetup setup,
        CancellationToken ct)
    {
        var logger = loggers.CreateLogger(typeof(WebhookEndpoints).FullName!);
        var settings = options.Value;
        if (!setup.IsRegistered)
        {
            metrics.DeliveryRejected(CriticBot.Observability.DeliveryRejection.NotConfigured);
            return TypedResults.Problem("CriticBot has no GitHub App yet: open its home page (/) to register one, or set GITHUB_APP_ID, GITHUB_PRIVATE_KEY_PATH and GITHUB_WEBHOOK_SECRET.", statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        if (request.ContentLength > settings.MaxBodyBytes)
        {
            LogTooLarge(logger, request.ContentLength);
            metrics.DeliveryRejected(CriticBot.Observability.DeliveryRejection.TooLarge);
            return TooLarge(request, settings);
        }

        // Unsigned or oddly signed requests are refused before their body is read.
        var claimedDigest = new byte[System.Security.Cryptography.HMACSHA256.HashSizeInBytes];
        if (!WebhookSignature.TryReadDigest(request.Headers["X-Hub-Signature-256"].ToString(), claimedDigest))
        {
            LogUnauthorized(logger, "missing or malformed signature header");
            metrics.DeliveryRejected(CriticBot.Observability.DeliveryRejection.BadSignature);
            return TypedResults.Unauthorized();
        }

        using var lease = limiter.TryEnter();
        if (lease is null)
        {
            LogBusy(logger, "too many webhook requests at once");
            return Busy(request);
        }

        // A body announced as large needs a large-body permit before a byte of it is read.
        if (request.ContentLength > settings.LargeBodyBytes && !lease.TryHoldLargeBody())
        {
            LogBusy(logger, "too many large webhook bodies at once");
            return Busy(request);
        }

        var (outcome, body) = await SignedBody.ReadAsync(request, claimedDigest, Encoding.UTF8.GetBytes(setup.WebhookSecret), settings, lease, ct);
        switch (outcome)
        {
            case BodyReadOutcome.TooLarge:
                LogTooLarge(logger, request.ContentLength);
                metrics.DeliveryRejected(CriticBot.Observability.DeliveryRejection.TooLarge);
                return TooLarge(request, settings);
            case BodyReadOutcome.Busy:
                LogBusy(logger, "too many large webhook bodies at once");
                return Busy(request);
            case BodyReadOutcome.TimedOut:
                CloseAfterAnswer(request);
                LogUnreadable(logger, $"the body did not arrive within {settings.BodyTimeoutSeconds} s");
                return TypedResults.Problem("The body did not arrive in time.", statusCode: StatusCodes.Status408RequestTimeout);
            case BodyReadOutcome.Broken:
                LogUnreadable(logger, "the client went away or sent a broken body");
                return TypedResults.Problem("The body could not be read.", statusCode: StatusCodes.Status400BadRequest);
            case BodyReadOutcome.SignatureMismatch:
                LogUnauthorized(logger, "signature does not match");
                metrics.DeliveryRejected(CriticBot.Observability.DeliveryRejection.BadSignature);
                return TypedResults.Unauthorized();
        }

        var deliveryId = request.Headers["X-GitHub-Delivery"].ToString();
        var eventName = request.Headers["X-GitHub-Event"].ToString();
        if (!IsSaneHeader(deliveryId) || !IsSaneHeader(eventName))
        {
            LogBadHeaders(logger);
            metrics.DeliveryRejected(CriticBot.Observability.DeliveryRejection.BadHeaders);
            return TypedResults.Problem(
                "X-GitHub-Delivery and X-GitHub-Event are required (printable, at most 200 characters).",
                statusCode: StatusCodes.Status400BadRequest);
        }

        using var activity = CriticBot.Observability.CriticBotTelemetry.StartIntake(eventName, deliveryId);
        using var scope = logger.BeginScope(new Dictionary<string, object?>
        {
            ["DeliveryId"] = deliveryId,
            ["Event"] = eventName,
        });

        var payload = WebhookPayload.TryParse(body, out var parseError);
        if (payload is null)
        {
            await StoreMalformedAsync(store, deliveryId, eventName, body, parseError, time, ct);
            LogMalformed(logger, parseError);
            metrics.DeliveryRejected(CriticBot.Observability.DeliveryRejection.Malformed);
            return TypedResults.Problem(parseError, statusCode: StatusCodes.Status400BadRequest);
        }

        using var payloadScope = logger.BeginScope(new Dictionary<string, object?>
        {
            ["Repository"] = LogText.Untrusted(payload.RepositoryFullName),
            ["PullRequest"] = payload.PullRequest,
        });

        var handled = WebhookEvents.IsHandled(eventName, payload);
        // Durable before we answer: once GitHub hears 2xx it will not send this delivery again.
        var added = await store.TryAddDeliveryAsync(new NewDelivery
        {
            DeliveryId = deliveryId,
            Event = eventName,
            Action = payload.Action,
            InstallationId = payload.InstallationId,
            RepositoryFullName = payload.RepositoryFullName,
            PullRequest = payload.PullRequest,
            Body = body,
            ReceivedAt = time.GetUtcNow(),
            Ignored = !handled,
        }, ct);

        var loggedAction = LogText.Untrusted(payload.Action);
        if (!added)
        {
            LogDuplicate(logger, loggedAction);
            metrics.DeliveryReceived(eventName, "duplicate");
            return TypedResults.Ok(new WebhookReceipt(deliveryId, "duplicate"));
        }

        if (handled)
        {
            inbox.Wake();
        }

        var status = (handled ? DeliveryStatus.Pending : DeliveryStatus.Ignored).ToStored();
        LogStored(logger, loggedAction, status);
        metrics.DeliveryReceived(eventName, handled ? "queued" : "ignored");
        return TypedResults.Accepted((string?)null, new WebhookReceipt(deliveryId, handled ? "queued" : "ignored"));
    }

    /// <summary>
    /// A signed body that is not a JSON object is kept (nothing signed is lost) as a failed delivery with the
    /// reason, never queued; GitHub hears the reason in a 400.
    /// </summary>
    private static Task StoreMalformedAsync(IDeliveryInbox store, string deliveryId, string eventName, ReadOnlyMemory<byte> body,
        string reason, TimeProvider time, CancellationToken ct) =>
        store.TryAddDeliveryAsync(new NewDelivery
        {
            DeliveryId = deliveryId,
            Event = eventName,
            Body = body,
            ReceivedAt = time.GetUtcNow(),
            FailedBecause = $"malformed payload: {reason}",
        }, ct);

    private static ProblemHttpResult TooLarge(HttpRequest request, WebhookOptions settings)
    {
        CloseAfterAnswer(request);
        return TypedResults.Problem($"The body is larger than {settings.MaxBodyBytes} bytes.", statusCode: StatusCodes.Status413PayloadTooLarge);
    }

    private static ProblemHttpResult Busy(HttpRequest request)
    {
        CloseAfterAnswer(request);
        request.HttpContext.Response.Headers.RetryAfter = RetryAfterSeconds;
        return TypedResults.Problem("Too many webhook requests at once; try again shortly.", statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    /// <summary>
    /// The body was refused unread: the connection is closed after the answer instead of being kept alive, which
    /// would make the server read (drain) the rest of the body into its buffers only to throw it away.
    /// </summary>
    private static void CloseAfterAnswer(HttpRequest request) => request.HttpContext.Response.Headers.Connection = "close";

    private static bool IsSaneHeader(string value) =>
        value.Length is > 0 and <= MaxHeaderValueLength && value.All(c => c is > ' ' and < (char)127);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stored delivery (action {Action}) as {Status}")]
    private static partial void LogStored(ILogger logger, string? action, string status);

    [LoggerMessage(Level = LogLevel.Information, Message = "Delivery (action {Action}) was already stored: not queued again")]
    private static partial void LogDuplicate(ILogger logger, string? action);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a webhook request: {Reason}")]
    private static partial void LogUnauthorized(ILogger logger, string reason);

    // Debug: under a flood, one line per refused request would be the next flood.
    [LoggerMessage(Level = LogLevel.Debug, Message = "Refused a webhook request with 503: {Reason}")]
    private static partial void LogBusy(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a webhook request: {Reason}")]
    private static partial void LogUnreadable(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a webhook request: X-GitHub-Delivery or X-GitHub-Event is missing or not printable")]
    private static partial void LogBadHeaders(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a webhook body that is too large (Content-Length {ContentLength})")]
    private static partial void LogTooLarge(ILogger logger, long? contentLength);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stored a malformed delivery as failed: {Reason}")]
    private static partial void LogMalformed(ILogger logger, string reason);
}
