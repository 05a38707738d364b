using CriticBot.Tests.Setup;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization;

namespace CriticBot.Tests.Deploy;

/// <summary>
/// What can be checked of the deployment files without a container engine or helm: the chart rendered (a subset
/// renderer, see <see cref="ChartRenderer"/>) and parsed as Kubernetes YAML with its rules enforced, the compose
/// file parsed, the Dockerfile's promises present.
/// </summary>
public sealed class DeploymentFilesTests
{
    private static readonly string Deploy = Path.Combine(FirstRunTests.RepositoryRoot(), "deploy");
    private static readonly string Chart = Path.Combine(Deploy, "helm", "criticbot");

    private static Dictionary<string, Dictionary<object, object?>> Render(params (string Path, object? Value)[] values)
    {
        var rendered = new ChartRenderer(Chart, values.ToDictionary(v => v.Path, v => v.Value)).RenderAll();
        var documents = new Dictionary<string, Dictionary<object, object?>>(StringComparer.Ordinal);
        var deserializer = new DeserializerBuilder().Build();
        foreach (var (file, text) in rendered)
        {
            if (string.IsNullOrWhiteSpace(text))
                continue;
            // Every rendered template is one valid YAML document of a Kubernetes kind.
            var document = deserializer.Deserialize<Dictionary<object, object?>>(text);
            Assert.True(document.ContainsKey("apiVersion") && document.ContainsKey("kind"), $"{file}:\n{text}");
            documents[(string)document["kind"]!] = document;
        }

        return documents;
    }

    private static object? At(object? node, params object[] path)
    {
        foreach (var step in path)
        {
            node = (node, step) switch
            {
                (Dictionary<object, object?> map, string key) => map.GetValueOrDefault(key),
                (List<object?> list, int i) => list[i],
                _ => null,
            };
        }

        return node;
    }

    [Fact]
    public void With_PostgreSQL_the_chart_renders_replicas_probes_secret_references_a_migration_job_and_a_budget()
    {
        var kinds = Render(("replicaCount", "3"), ("github.appId", "12345"), ("database.existingSecret.name", "criticbot-database"),
            ("ingress.enabled", true));

        Assert.Equal(["ConfigMap", "Deployment", "Ingress", "Job", "PodDisruptionBudget", "Service"], kinds.Keys.Order(StringComparer.Ordinal));
        var deployment = kinds["Deployment"];
        Assert.Equal("3", At(deployment, "spec", "replicas"));
        var container = At(deployment, "spec", "template", "spec", "containers", 0);
        Assert.Equal("/healthz", At(container, "livenessProbe", "httpGet", "path"));
        Assert.Equal("/readyz", At(container, "readinessProbe", "httpGet", "path"));
        Assert.Equal("true", At(container, "securityContext", "readOnlyRootFilesystem"));
        Assert.Equal("true", At(deployment, "spec", "template", "spec", "securityContext", "runAsNonRoot"));
        Assert.NotNull(At(container, "resources", "requests", "memory"));

        // Secrets are references, never values.
        var env = ((List<object?>)At(container, "env")!).Cast<Dictionary<object, object?>>().ToDictionary(e => (string)e["name"]!);
        Assert.Equal("criticbot-database", At(env["CRITICBOT_DATABASE"], "valueFrom", "secretKeyRef", "name"));
        Assert.Equal("criticbot-github", At(env["GITHUB_WEBHOOK_SECRET"], "valueFrom", "secretKeyRef", "name"));
        Assert.Equal("criticbot-model", At(env["OPENAI_API_KEY"], "valueFrom", "secretKeyRef", "name"));
        Assert.Equal("/run/secrets/github/private-key.pem", At(env["GITHUB_PRIVATE_KEY_PATH"], "value"));
        Assert.Equal("12345", At(env["GITHUB_APP_ID"], "value"));

        // The schema is migrated once, by a hook Job running `criticbot db migrate`.
        var job = kinds["Job"];
        Assert.Contains("pre-upgrade", (string)At(job, "metadata", "annotations", "helm.sh/hook")!, StringComparison.Ordinal);
        Assert.Equal(new List<object?> { "db", "migrate" }, At(job, "spec", "template", "spec", "containers", 0, "args"));
        Assert.Equal("1", At(kinds["PodDisruptionBudget"], "spec", "minAvailable"));
        Assert.Equal("criticbot.example.com", At(kinds["Ingress"], "spec", "rules", 0, "host"));
    }

    [Theory]
    [InlineData("2")]
    [InlineData("5")]
    public void Several_replicas_without_PostgreSQL_are_refused(string replicas)
    {
        var failure = Assert.Throws<ChartFailedException>(() => Render(("replicaCount", replicas), ("github.appId", "12345")));
        Assert.Contains("PostgreSQL", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void One_replica_on_SQLite_gets_a_volume_and_a_recreate_rollout_and_no_migration_job()
    {
        var kinds = Render(("replicaCount", "1"), ("github.appId", "12345"));

        Assert.Contains("PersistentVolumeClaim", kinds.Keys);
        Assert.DoesNotContain("Job", kinds.Keys);
        Assert.DoesNotContain("PodDisruptionBudget", kinds.Keys);
        Assert.Equal("Recreate", At(kinds["Deployment"], "spec", "strategy", "type"));
    }

    [Fact]
    public void The_chart_refuses_to_render_without_an_App_id() =>
        Assert.Contains("github.appId", Assert.Throws<ChartFailedException>(() => Render(("database.existingSecret.name", "db"))).Message, StringComparison.Ordinal);

    [Fact]
    public void Compose_runs_CriticBot_after_a_healthy_PostgreSQL_with_env_file_secrets_and_volumes()
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(Path.Combine(Deploy, "docker-compose.yml")))
            yaml.Load(reader);
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        var services = (YamlMappingNode)root["services"];
        var criticbot = (YamlMappingNode)services["criticbot"];
        var postgres = (YamlMappingNode)services["postgres"];

        Assert.Equal("service_healthy", ((YamlScalarNode)((YamlMappingNode)((YamlMappingNode)criticbot["depends_on"])["postgres"])["condition"]).Value);
        Assert.True(postgres.Children.ContainsKey("healthcheck"));
        Assert.Equal("criticbot.env", ((YamlScalarNode)criticbot["env_file"]).Value);
        Assert.Equal("true", ((YamlScalarNode)criticbot["read_only"]).Value);
        Assert.Contains("criticbot-data:/data", ((YamlSequenceNode)criticbot["volumes"]).Select(v => ((YamlScalarNode)v).Value));
        Assert.Contains("postgres-data:/var/lib/postgresql/data", ((YamlSequenceNode)postgres["volumes"]).Select(v => ((YamlScalarNode)v).Value));
        Assert.Equal("deploy/Dockerfile", ((YamlScalarNode)((YamlMappingNode)criticbot["build"])["dockerfile"]).Value);

        // The example env file names every secret compose expects, and the database URL points at the compose service.
        var example = File.ReadAllText(Path.Combine(Deploy, "criticbot.env.example"));
        foreach (var setting in new[] { "POSTGRES_PASSWORD=", "CRITICBOT_DATABASE=postgres://criticbot:", "@postgres:5432/criticbot", "GITHUB_WEBHOOK_SECRET=", "GITHUB_PRIVATE_KEY_PATH=/run/secrets/github_app_key" })
            Assert.Contains(setting, example, StringComparison.Ordinal);
    }

    [Fact]
    public void The_Dockerfile_is_multi_stage_runs_as_a_non_root_user_and_checks_healthz()
    {
        var lines = File.ReadAllLines(Path.Combine(Deploy, "Dockerfile")).Where(l => !l.TrimStart().StartsWith('#')).ToList();
        Assert.Equal(2, lines.Count(l => l.StartsWith("FROM ", StringComparison.Ordinal)));
        Assert.Contains("USER app", lines);
        Assert.Contains(lines, l => l.Contains("/healthz", StringComparison.Ordinal) && (l.StartsWith("HEALTHCHECK", StringComparison.Ordinal) || l.TrimStart().StartsWith("CMD", StringComparison.Ordinal)));
        // The final stage has no SDK.
        Assert.StartsWith("FROM mcr.microsoft.com/dotnet/aspnet:", lines.Last(l => l.StartsWith("FROM ", StringComparison.Ordinal)), StringComparison.Ordinal);
    }
}
