using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Npgsql;

namespace CriticBot.Tests.Fixtures;

/// <summary>
/// A real PostgreSQL server for the test run, started from Debian's `postgresql` package (initdb and pg_ctl on a
/// temporary directory and a free loopback port) the first time a test asks for it, shared by every test, and
/// stopped when the test process exits. PostgreSQL refuses to run as root, so as root it runs as the package's
/// `postgres` user. Each test gets a database of its own (<see cref="CreateDatabaseAsync"/>); clients log in with
/// a password over TCP, as a deployment would.
/// </summary>
public sealed class PostgresServer
{
    public const string User = "criticbot";

    private static readonly Lazy<Task<PostgresServer>> Instance = new(StartAsync, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly string _binDirectory;
    private readonly string _directory;
    private readonly bool _asPostgresUser;

    private PostgresServer(string binDirectory, string directory, bool asPostgresUser, int port, string password)
    {
        _binDirectory = binDirectory;
        _directory = directory;
        _asPostgresUser = asPostgresUser;
        Port = port;
        Password = password;
    }

    public int Port { get; }

    /// <summary>Random per run; tests check it never reaches a log.</summary>
    public string Password { get; }

    public static Task<PostgresServer> SharedAsync() => Instance.Value;

    /// <summary>A connection string (Host=...;Database=...;Username=...;Password=...) for the named database.</summary>
    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Database = database,
        Username = User,
        Password = Password,
    }.ConnectionString;

    /// <summary>The same database as a postgres:// URL.</summary>
    public string Url(string database) => $"postgres://{User}:{Uri.EscapeDataString(Password)}@127.0.0.1:{Port}/{database}";

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = "t_" + Guid.NewGuid().ToString("N");
        await using (var connection = new NpgsqlConnection(ConnectionString("postgres")))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await command.ExecuteNonQueryAsync();
        }

        return ConnectionString(name);
    }

    private static async Task<PostgresServer> StartAsync()
    {
        var bin = FindBinDirectory();
        var asPostgresUser = Environment.UserName == "root";
        var directory = Path.Combine(Path.GetTempPath(), "criticbot-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(directory);
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(12)).ToLowerInvariant() + "'\"; pw";
        var passwordFile = Path.Combine(directory, "password");
        await File.WriteAllTextAsync(passwordFile, password + "\n");
        if (asPostgresUser)
        {
            await RunAsync("chown", ["-R", "postgres:postgres", directory], asPostgresUser: false, bin: null);
        }

        var port = FreePort();
        var data = Path.Combine(directory, "data");
        var server = new PostgresServer(bin, directory, asPostgresUser, port, password);
        await server.RunAsync("initdb", ["-D", data, "-U", User, "--pwfile", passwordFile, "--auth-local=trust",
            "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync"]);
        // Durability settings off: a test server's data is thrown away; everything else is a stock server.
        var options = $"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c max_connections=400 "
            + "-c fsync=off -c synchronous_commit=off -c full_page_writes=off";
        await server.RunAsync("pg_ctl", ["-D", data, "-l", Path.Combine(directory, "server.log"), "-w", "-t", "60", "-o", options, "start"]);
        server.StartWatchdog();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Stop();
        return server;
    }

    /// <summary>Stops the server as the test process exits normally; the watchdog covers the rest.</summary>
    private void Stop()
    {
        try
        {
            NpgsqlConnection.ClearAllPools();
            RunAsync("pg_ctl", ["-D", Path.Combine(_directory, "data"), "-m", "immediate", "-w", "stop"]).GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Exiting anyway: the watchdog stops the server and removes the directory.
        }
    }

    /// <summary>
    /// A detached shell that waits for this test process to end, however it ends (the test host may be killed
    /// before exit handlers finish), then stops the server and deletes its directory.
    /// </summary>
    private void StartWatchdog()
    {
        var pgCtl = Path.Combine(_binDirectory, "pg_ctl");
        var stop = _asPostgresUser ? $"runuser -u postgres -- '{pgCtl}'" : $"'{pgCtl}'";
        var script = $"while kill -0 {Environment.ProcessId} 2>/dev/null; do sleep 1; done; "
            + $"{stop} -D '{Path.Combine(_directory, "data")}' -m immediate -w stop >/dev/null 2>&1; rm -rf '{_directory}'";
        var start = new ProcessStartInfo("setsid") { UseShellExecute = false };
        foreach (var argument in (string[])["sh", "-c", script])
        {
            start.ArgumentList.Add(argument);
        }

        using var watchdog = Process.Start(start);
    }

    private Task RunAsync(string tool, IReadOnlyList<string> arguments) =>
        RunAsync(Path.Combine(_binDirectory, tool), arguments, _asPostgresUser, _binDirectory);

    private static async Task RunAsync(string program, IReadOnlyList<string> arguments, bool asPostgresUser, string? bin)
    {
        var start = new ProcessStartInfo(asPostgresUser ? "runuser" : program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        if (asPostgresUser)
        {
            foreach (var argument in (string[])["-u", "postgres", "--", program])
            {
                start.ArgumentList.Add(argument);
            }
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{Path.GetFileName(program)} failed ({process.ExitCode}) from {bin}: {await output}{await error}");
        }
    }

    /// <summary>The newest /usr/lib/postgresql/&lt;version&gt;/bin that has initdb (scripts/test.sh installs it).</summary>
    private static string FindBinDirectory()
    {
        const string root = "/usr/lib/postgresql";
        var candidates = Directory.Exists(root)
            ? Directory.GetDirectories(root)
                .Select(dir => (Dir: Path.Combine(dir, "bin"), Version: int.TryParse(Path.GetFileName(dir), out var v) ? v : 0))
                .Where(c => File.Exists(Path.Combine(c.Dir, "initdb")))
                .OrderByDescending(c => c.Version)
                .Select(c => c.Dir)
                .ToList()
            : [];
        return candidates.FirstOrDefault() ?? throw new InvalidOperationException(
            "PostgreSQL is not installed (no /usr/lib/postgresql/<version>/bin/initdb): run scripts/test.sh, which installs Debian's postgresql package.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
