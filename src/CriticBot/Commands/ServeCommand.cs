using System.CommandLine;
using CriticBot.Hosting;
using Microsoft.AspNetCore.Builder;
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
        var command = new Command("serve", "Run the GitHub App webhook service.") { urls };
        command.SetAction((parse, ct) =>
        {
            var url = parse.GetValue(urls);
            string[] hostArgs = string.IsNullOrWhiteSpace(url) ? [] : ["--urls", url];
            return RunAsync(hostArgs, parse.InvocationConfiguration.Error, configure: null, ct);
        });
        return command;
    }

    /// <summary>Builds, starts and runs the service until <paramref name="ct"/> fires or the process is stopped.</summary>
    /// <returns>0 after a clean shutdown; 2 with one line on <paramref name="stderr"/> for a bad setting; 1 otherwise.</returns>
    public static async Task<int> RunAsync(string[] hostArgs, TextWriter stderr, Action<WebApplicationBuilder>? configure, CancellationToken ct)
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

            await app.WaitForShutdownAsync(ct);
            return ExitCodes.Success;
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
