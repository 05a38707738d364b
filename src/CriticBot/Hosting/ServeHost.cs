using CriticBot.Inbox;
using CriticBot.Intake;
using CriticBot.Observability;
using CriticBot.Reviews;
using CriticBot.Setup;
using CriticBot.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Serilog;

namespace CriticBot.Hosting;

/// <summary>The composition of `criticbot serve`; tests build the same host on 127.0.0.1:0.</summary>
public static class ServeHost
{
    public const string DefaultUrls = "http://127.0.0.1:5000";

    /// <summary>
    /// Builds the host, validates every setting and migrates the database. Throws
    /// <see cref="OptionsValidationException"/> (or <see cref="StartupException"/>) naming the bad setting.
    /// </summary>
    /// <param name="args">Host arguments, e.g. ["--urls", "http://127.0.0.1:0"].</param>
    /// <param name="configure">Runs after the default registrations: tests add configuration or swap services.</param>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        // Intake must get a thread while reviews run synchronous steps (see ThreadPoolFloor).
        ThreadPoolFloor.Raise();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            // No file watching: config reloads are not used, and a watcher on the working directory would
            // fire on every database write (and exhaust inotify instances when tests build many hosts).
            Args = ["--hostBuilder:reloadConfigOnChange=false", .. args],
            // appsettings.json ships next to the executable; the database path resolves against the
            // current directory, so the content root is never where the database is written.
            ContentRootPath = AppContext.BaseDirectory,
        });
        if (string.IsNullOrEmpty(builder.Configuration["urls"]))
        {
            builder.WebHost.UseUrls(DefaultUrls);
        }

        // Structured console logs with DeliveryId/Event/Repository/PullRequest from scopes.
        builder.Services.AddCriticBotLogging();
        // Signature checks need the webhook secret: validated before the host starts.
        builder.Services.AddWebhookIntake();
        // Durable deliveries, reviews and research data in SQLite or PostgreSQL; also backs /readyz.
        builder.Services.AddCriticBotStorage();
        // Old private code pruned after Storage:RetentionDays (research records after Storage:ResearchRetentionDays).
        builder.Services.AddRetention();
        // The background worker that turns stored deliveries into handler calls, with retries and leases.
        builder.Services.AddInbox();
        // What a delivery means: PR pushes and "/critic review" become reviews (GitHub App + critic engine).
        builder.Services.AddReviewPipeline();
        // /metrics (Prometheus) and, when OTEL_EXPORTER_OTLP_ENDPOINT is set, traces of intake, reviews and model calls.
        builder.Services.AddCriticBotObservability(builder.Configuration);
        // The home page's setup state, and the first-run App registration when no App is configured.
        builder.Services.AddSingleton<AppSetup>();

        configure?.Invoke(builder);
        // An App registered on the first-run page earlier: its saved id, key and secret, unless GITHUB_* settings are given.
        AppRegistrationFile.AddTo(builder.Configuration, builder.Configuration);

        var app = builder.Build();
        try
        {
            ValidateAndMigrate(app.Services);
        }
        catch
        {
            ((IDisposable)app).Dispose();
            throw;
        }

        // One line per request (method, path, status, elapsed); headers and bodies are never logged.
        app.UseSerilogRequestLogging();
        app.MapHealthEndpoints();
        app.MapGitHubWebhooks();
        app.MapCriticBotMetrics();
        app.MapSetup();
        return app;
    }

    private static void ValidateAndMigrate(IServiceProvider services)
    {
        // Runs every ValidateOnStart registration now, so a bad setting stops us before anything else happens.
        services.GetService<IStartupValidator>()?.Validate();

        // Replicas starting together each run this; the migration lock lets one of them apply the scripts.
        var where = services.GetRequiredService<IOptions<StorageOptions>>().Value.ResolveLocation().Description;
        try
        {
            var store = services.GetRequiredService<CriticBotStore>();
            store.MigrateAsync(CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or IOException or UnauthorizedAccessException
            or System.Net.Sockets.SocketException or TimeoutException)
        {
            // The description and the driver's message name the server or file, never the password.
            throw new StartupException($"CRITICBOT_DATABASE: cannot open or migrate {where}: {ex.Message}", ex);
        }
    }
}

/// <summary>The service cannot start; the message is one line that names the setting to fix.</summary>
public sealed class StartupException : Exception
{
    public StartupException()
    {
    }

    public StartupException(string message)
        : base(message)
    {
    }

    public StartupException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
