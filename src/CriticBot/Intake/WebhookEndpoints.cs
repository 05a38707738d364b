using System.Text;
using CriticBot.Inbox;
using CriticBot.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
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

    public static IEndpointRouteBuilder MapGitHubWebhooks(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost(Path, ReceiveAsync)
            .WithName("GitHubWebhook")
            .DisableAntiforgery();
        return endpoints;
    }

    internal static async Task<IResult> ReceiveAsync(
        HttpRequest request,
        IDeliveryInbox store,
        InboxSignal inbox,
        IOptions<WebhookOptions> options,
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
            return TooLarge(settings);
        }

        // Unsigned or oddly signed requests are refused before their body is read.
        var signature = request.Headers["X-Hub-Signature-256"].ToString();
        if (!WebhookSignature.IsWellFormed(signature))
        {
            LogUnauthorized(logger, "missing or malformed signature header");
            metrics.DeliveryRejected(CriticBot.Observability.DeliveryRejection.BadSignature);
            return TypedResults.Unauthorized();
        }

        var body = await BoundedBody.ReadAsync(request, settings.MaxBodyBytes, ct);
        if (body is null)
        {
            LogTooLarge(logger, request.ContentLength);
            metrics.DeliveryRejected(CriticBot.Observability.DeliveryRejection.TooLarge);
            return TooLarge(settings);
        }

        if (!WebhookSignature.IsValid(body, signature, Encoding.UTF8.GetBytes(setup.WebhookSecret)))
        {
            LogUnauthorized(logger, "signature does not match");
            metrics.DeliveryRejected(CriticBot.Observability.DeliveryRejection.BadSignature);
            return TypedResults.Unauthorized();
        }

        var deliveryId = request.Headers["X-GitHub-Delivery"].ToString();
        var eventName = request.Headers["X-GitHub-Event"].ToString();
        if (!IsSaneHeader(deliveryId) || !IsSaneHeader(eventName))
        {
            metrics.DeliveryRejected(CriticBot.Observability.DeliveryRejection.BadHeaders);
            return TypedResults.Problem(
                "X-GitHub-Delivery and X-GitHub-Event are required (printable, at most 200 characters).",
                statusCode: StatusCodes.Status400BadRequest);
        }

        var payload = WebhookPayload.TryParse(body, out var parseError);
        if (payload is null)
        {
            LogMalformed(logger, deliveryId, eventName);
            metrics.DeliveryRejected(CriticBot.Observability.DeliveryRejection.Malformed);
            return TypedResults.Problem(parseError, statusCode: StatusCodes.Status400BadRequest);
        }

        using var activity = CriticBot.Observability.CriticBotTelemetry.StartIntake(eventName, deliveryId);
        using var scope = logger.BeginScope(new Dictionary<string, object?>
        {
            ["DeliveryId"] = deliveryId,
            ["Event"] = eventName,
            ["Repository"] = payload.RepositoryFullName,
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

        if (!added)
        {
            LogDuplicate(logger, payload.Action);
            metrics.DeliveryReceived(eventName, "duplicate");
            return TypedResults.Ok(new WebhookReceipt(deliveryId, "duplicate"));
        }

        if (handled)
        {
            inbox.Wake();
        }

        var status = (handled ? DeliveryStatus.Pending : DeliveryStatus.Ignored).ToStored();
        LogStored(logger, payload.Action, status);
        metrics.DeliveryReceived(eventName, handled ? "queued" : "ignored");
        return TypedResults.Accepted((string?)null, new WebhookReceipt(deliveryId, handled ? "queued" : "ignored"));
    }

    private static ProblemHttpResult TooLarge(WebhookOptions settings) =>
        TypedResults.Problem($"The body is larger than {settings.MaxBodyBytes} bytes.", statusCode: StatusCodes.Status413PayloadTooLarge);

    private static bool IsSaneHeader(string value) =>
        value.Length is > 0 and <= MaxHeaderValueLength && value.All(c => c is > ' ' and < (char)127);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stored delivery (action {Action}) as {Status}")]
    private static partial void LogStored(ILogger logger, string? action, string status);

    [LoggerMessage(Level = LogLevel.Information, Message = "Delivery (action {Action}) was already stored: not queued again")]
    private static partial void LogDuplicate(ILogger logger, string? action);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a webhook request: {Reason}")]
    private static partial void LogUnauthorized(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a webhook body that is too large (Content-Length {ContentLength})")]
    private static partial void LogTooLarge(ILogger logger, long? contentLength);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused delivery {DeliveryId} ({Event}): the body is not a JSON object")]
    private static partial void LogMalformed(ILogger logger, string deliveryId, string @event);
}
