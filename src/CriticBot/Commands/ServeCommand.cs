using System.CommandLine;
using CriticBot.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace CriticBot.Commands;

public static class ServeCommand
{
    public static Command Create()
    {
        var urls = new Option<string?>("--urls")
        {
            Description = $"Addresses to listen on, e.g. http://127.0.0.1:5000 (default: ASPNETCORE_URLS, else {ServeHost.DefaultUrls}).",
        };
        var dev = new Option<bool>("--dev")
        {
            Description = "Local development: print the webhook URL to give a webhook proxy such as smee (docs/github-app.md).",
        };
        var command = new Command("serve", "Run the GitHub App webhook service.") { urls, dev };
        command.SetAction((parse, ct) =>
        {
            var url = parse.GetValue(urls);
            string[] hostArgs = string.IsNullOrWhiteSpace(url) ? [] : ["--urls", url];
            return RunAsync(hostArgs, parse.InvocationConfiguration.Error, configure: null, ct,
                parse.GetValue(dev) ? parse.InvocationConfiguration.Output : null);
        });
        return command;
    }

    /// <summary>Builds, starts and runs the service until <paramref name="ct"/> fires or the process is stopped.</summary>
    /// <returns>0 after a clean shutdown; 2 with one line on <paramref name="stderr"/> for a bad setting; 1 otherwise.</returns>
    /// <param name="devOutput">With <c>--dev</c>: where the local webhook URL and the smee command are printed once listening.</param>
    public static async Task<int> RunAsync(string[] hostArgs, TextWriter stderr, Action<WebApplicationBuilder>? configure, CancellationToken ct,
        TextWriter? devOutput = null)
    {
        ArgumentNullException.ThrowIfNull(stderr);
        WebApplication app;
        try
        {
            app = ServeHost.Build(hostArgs, configure);
        }
        catch (Exception ex) when (DescribeSettingError(ex) is { } line)
        {
            await stderr.WriteLineAsync($"criticbot: {line}");
            return ExitCodes.Usage;
        }

        await using (app)
        {
            try
            {
                await app.StartAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return ExitCodes.Success;
            }
            catch (IOException ex)
            {
                // Typically the address is in use; Kestrel's message names it.
                await stderr.WriteLineAsync($"criticbot: cannot listen: {ex.Message}");
                return ExitCodes.Failure;
            }

            if (devOutput is not null)
            {
                await WriteDevelopmentHintsAsync(app, devOutput);
            }

            await app.WaitForShutdownAsync(ct);
            return ExitCodes.Success;
        }
    }

    /// <summary>What to paste into a webhook proxy: GitHub cannot reach a laptop, smee relays to it.</summary>
    public static async Task WriteDevelopmentHintsAsync(WebApplication app, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(output);
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        foreach (var address in addresses)
        {
            var local = address.Replace("://0.0.0.0:", "://127.0.0.1:", StringComparison.Ordinal)
                .Replace("://[::]:", "://127.0.0.1:", StringComparison.Ordinal).Replace("://+:", "://127.0.0.1:", StringComparison.Ordinal)
                .Replace("://*:", "://127.0.0.1:", StringComparison.Ordinal).TrimEnd('/');
            await output.WriteLineAsync($"criticbot: setup page: {local}/");
            await output.WriteLineAsync($"criticbot: webhook URL for your proxy: {local}{CriticBot.Intake.WebhookEndpoints.Path}");
            await output.WriteLineAsync($"criticbot: e.g. npx smee-client --url https://smee.io/YOUR-CHANNEL --target {local}{CriticBot.Intake.WebhookEndpoints.Path}");
        }
    }

    /// <summary>One line for a configuration problem, or null when the exception is something else.</summary>
    public static string? DescribeSettingError(Exception exception) => exception switch
    {
        OptionsValidationException validation => validation.Failures.FirstOrDefault() ?? validation.Message,
        AggregateException aggregate when aggregate.InnerExceptions.Count > 0 => DescribeSettingError(aggregate.InnerExceptions[0]),
        StartupException startup => startup.Message,
        _ => null,
    };
}
