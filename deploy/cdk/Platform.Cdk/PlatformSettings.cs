using Amazon.CDK;

namespace Platform.Cdk;

/// <summary>
/// What a deployment is made of, from CDK context (<c>cdk.json</c> or <c>-c key=value</c>; lists are comma-separated).
/// </summary>
public sealed record PlatformSettings
{
    public required string Account { get; init; }
    public required string Region { get; init; }

    /// <summary><c>full</c>: one ECS service per platform service; <c>small</c>: the AllInOne host alone.</summary>
    public string Variant { get; init; } = "full";

    /// <summary>
    /// The services' bus: <c>sqs</c> (SQS and SNS, no broker to run; the full variant's default), <c>rabbitmq</c>
    /// (Amazon MQ, full variant), or <c>inmemory</c> (the small variant's default: one process).
    /// </summary>
    public string Bus { get; init; } = "sqs";

    /// <summary>Starts the name of every bus queue and topic, so two installations can share an account.</summary>
    public string BusPrefix { get; init; } = "platform-";

    /// <summary>The tasks' CPU: <c>arm64</c> (Graviton, a fifth cheaper; the default) or <c>x86_64</c>.</summary>
    public string Architecture { get; init; } = "arm64";

    /// <summary>
    /// Where the tasks run: <c>private</c> subnets (reaching AWS through the VPC's NAT gateway or endpoints), or
    /// <c>public</c> subnets with a public address and no inbound rule (no NAT gateway to pay for).
    /// </summary>
    public string Subnets { get; init; } = "private";

    /// <summary>The database's instance class (default <c>db.t4g.micro</c>) and storage in GB (gp3, default 20).</summary>
    public string DatabaseInstanceClass { get; init; } = "db.t4g.micro";
    public int DatabaseStorageGb { get; init; } = 20;

    /// <summary>Container Insights (per-task metrics, billed as custom metrics); the platform's own alarms do without it.</summary>
    public bool ContainerInsights { get; init; }

    /// <summary>
    /// A Healthchecks.io-style URL each service calls every 5 minutes while healthy; <c>{service}</c> in it becomes the
    /// service's name, for one check per service.
    /// </summary>
    public string? HeartbeatUrl { get; init; }

    /// <summary>An existing VPC to deploy into (with its AZs and private subnets); without it a VPC is created.</summary>
    public string? VpcId { get; init; }
    public IReadOnlyList<string> AvailabilityZones { get; init; } = [];
    public IReadOnlyList<string> PrivateSubnetIds { get; init; } = [];

    /// <summary>The clusters whose tasks are watched: events are taken from them, and retry may act only on them.</summary>
    public required IReadOnlyList<string> MonitoredClusters { get; init; }

    /// <summary>
    /// The Step Functions state machines (names) whose executions are runs: their status changes are taken, and history
    /// may read their executions' histories. Empty: none.
    /// </summary>
    public IReadOnlyList<string> MonitoredStateMachines { get; init; } = [];

    /// <summary>The task and execution roles of the monitored task definitions: retry may pass only these to ECS.</summary>
    public IReadOnlyList<string> MonitoredTaskRoleArns { get; init; } = [];

    public string ImageRegistry { get; init; } = "";
    public string ImageTag { get; init; } = "latest";

    /// <summary>The platform YAML file, stored in an SSM parameter; absent: an empty config.</summary>
    public string? PlatformConfigFile { get; init; }

    /// <summary>Where the platform's own alarms are mailed (an SNS email subscription, confirmed by its owner); absent: the topic alone.</summary>
    public string? AlarmEmail { get; init; }

    /// <summary><c>create</c>: the stack creates a CloudTrail trail of management events; <c>existing</c>: the account has one.</summary>
    public string CloudTrail { get; init; } = "create";

    /// <summary>The <c>${ENV}</c> names the platform file uses for Slack secrets: one secret each.</summary>
    public IReadOnlyList<string> SlackSecretKeys { get; init; } = ["SLACK_WEBHOOK"];

    public static PlatformSettings FromContext(App app)
    {
        string? Get(string key) => app.Node.TryGetContext(key) is { } value && value.ToString() is { Length: > 0 } text ? text : null;
        IReadOnlyList<string> List(string key) => Get(key)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
        string Required(string key) => Get(key) ?? throw new ArgumentException($"CDK context '{key}' is required (cdk.json or -c {key}=…).");

        var settings = new PlatformSettings
        {
            Account = Get("account") ?? System.Environment.GetEnvironmentVariable("CDK_DEFAULT_ACCOUNT") ?? Required("account"),
            Region = Get("region") ?? System.Environment.GetEnvironmentVariable("CDK_DEFAULT_REGION") ?? Required("region"),
            Variant = Get("variant") ?? "full",
            Bus = Get("bus") ?? (Get("variant") == "small" ? "inmemory" : "sqs"),
            BusPrefix = Get("busPrefix") ?? "platform-",
            Architecture = Get("architecture") ?? "arm64",
            Subnets = Get("subnets") ?? "private",
            DatabaseInstanceClass = Get("databaseInstanceClass") ?? "db.t4g.micro",
            DatabaseStorageGb = Get("databaseStorageGb") is { } storage
                ? int.TryParse(storage, out var gb) && gb is >= 20 and <= 65_536 ? gb : throw new ArgumentException($"CDK context 'databaseStorageGb' must be a number of GB from 20, not '{storage}'.")
                : 20,
            ContainerInsights = Get("containerInsights") == "true",
            HeartbeatUrl = Get("heartbeatUrl"),
            VpcId = Get("vpcId"),
            AvailabilityZones = List("availabilityZones"),
            PrivateSubnetIds = List("privateSubnetIds"),
            MonitoredClusters = List("monitoredClusters") is { Count: > 0 } clusters ? clusters : throw new ArgumentException("CDK context 'monitoredClusters' is required."),
            MonitoredTaskRoleArns = List("monitoredTaskRoleArns"),
            MonitoredStateMachines = List("monitoredStateMachines"),
            ImageRegistry = Required("imageRegistry"),
            ImageTag = Get("imageTag") ?? "latest",
            PlatformConfigFile = Get("platformConfigFile"),
            SlackSecretKeys = List("slackSecretKeys") is { Count: > 0 } keys ? keys : ["SLACK_WEBHOOK"],
            CloudTrail = Get("cloudTrail") ?? "create",
            AlarmEmail = Get("alarmEmail"),
        };
        if (settings.AlarmEmail is { } email && !System.Text.RegularExpressions.Regex.IsMatch(email, @"^[^@\s]+@[^@\s]+\.[^@\s]+$"))
            throw new ArgumentException($"CDK context 'alarmEmail' must be an email address, not '{email}'.");
        if (settings.CloudTrail is not ("create" or "existing"))
            throw new ArgumentException($"CDK context 'cloudTrail' must be create or existing, not '{settings.CloudTrail}'.");
        if (settings.SlackSecretKeys.FirstOrDefault(k => !System.Text.RegularExpressions.Regex.IsMatch(k, "^[A-Za-z0-9_]+$")) is { } badKey)
            throw new ArgumentException($"CDK context 'slackSecretKeys': '{badKey}' is not an ${{ENV}} name (letters, digits, _).");
        if (settings.Variant is not ("full" or "small"))
            throw new ArgumentException($"CDK context 'variant' must be full or small, not '{settings.Variant}'.");
        if (settings.Variant == "full" ? settings.Bus is not ("sqs" or "rabbitmq") : settings.Bus is not ("sqs" or "inmemory"))
            throw new ArgumentException($"CDK context 'bus' must be {(settings.Variant == "full" ? "sqs or rabbitmq" : "inmemory or sqs")} for the {settings.Variant} variant, not '{settings.Bus}'.");
        if (settings.Architecture is not ("arm64" or "x86_64"))
            throw new ArgumentException($"CDK context 'architecture' must be arm64 or x86_64, not '{settings.Architecture}'.");
        if (settings.Subnets is not ("private" or "public"))
            throw new ArgumentException($"CDK context 'subnets' must be private or public, not '{settings.Subnets}'.");
        if (!System.Text.RegularExpressions.Regex.IsMatch(settings.DatabaseInstanceClass, @"^db\.[a-z0-9]+\.[a-z0-9]+$"))
            throw new ArgumentException($"CDK context 'databaseInstanceClass' must be an RDS class such as db.t4g.micro, not '{settings.DatabaseInstanceClass}'.");
        if (settings.HeartbeatUrl is { } heartbeat && !(Uri.TryCreate(heartbeat.Replace("{service}", "x"), UriKind.Absolute, out var beat) && beat.Scheme == "https"))
            throw new ArgumentException("CDK context 'heartbeatUrl' must be an https:// URL.");
        if (settings.Subnets == "public" && settings.VpcId is not null)
            throw new ArgumentException("CDK context 'subnets=public' is for the VPC the stack creates; in your own VPC ('vpcId') give private subnets with a route out.");
        if (!System.Text.RegularExpressions.Regex.IsMatch(settings.BusPrefix, "^[A-Za-z0-9_-]{1,30}$"))
            throw new ArgumentException($"CDK context 'busPrefix': at most 30 letters, digits, '-' or '_', not '{settings.BusPrefix}'.");
        if (settings.VpcId is not null && (settings.AvailabilityZones.Count == 0 || settings.PrivateSubnetIds.Count != settings.AvailabilityZones.Count))
            throw new ArgumentException("With 'vpcId', give 'availabilityZones' and as many 'privateSubnetIds' (one per zone).");
        // Never look anything up in AWS at synth time: the zones of a new VPC come from context.
        var zonesKey = $"availability-zones:account={settings.Account}:region={settings.Region}";
        if (app.Node.TryGetContext(zonesKey) is null)
            app.Node.SetContext(zonesKey, settings.AvailabilityZones.Count > 0 ? settings.AvailabilityZones.ToArray() : new[] { settings.Region + "a", settings.Region + "b" });
        return settings;
    }

    public PlatformStack AddStacks(App app) => new(app, Variant == "small" ? "PlatformSmall" : "Platform", this,
        new StackProps { Env = new Amazon.CDK.Environment { Account = Account, Region = Region }, Description = "Platform: a watchdog for scheduled ECS tasks" });
}
