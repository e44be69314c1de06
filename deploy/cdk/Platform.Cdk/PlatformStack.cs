using Amazon.CDK;
using Amazon.CDK.AWS.AmazonMQ;
using Amazon.CDK.AWS.CloudTrail;
using Amazon.CDK.AWS.CloudWatch;
using Amazon.CDK.AWS.CloudWatch.Actions;
using Amazon.CDK.AWS.EC2;
using Amazon.CDK.AWS.ECR;
using Amazon.CDK.AWS.ECS;
using Amazon.CDK.AWS.Events;
using Amazon.CDK.AWS.Events.Targets;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.Logs;
using Amazon.CDK.AWS.RDS;
using Amazon.CDK.AWS.S3;
using Amazon.CDK.AWS.SNS;
using Amazon.CDK.AWS.SNS.Subscriptions;
using Amazon.CDK.AWS.SQS;
using Amazon.CDK.AWS.SSM;
using Constructs;
using EcsHealthCheck = Amazon.CDK.AWS.ECS.HealthCheck;
using EcsSecret = Amazon.CDK.AWS.ECS.Secret;
using SecretsManagerSecret = Amazon.CDK.AWS.SecretsManager.Secret;
using SecretsManagerSecretProps = Amazon.CDK.AWS.SecretsManager.SecretProps;
using SecretStringGenerator = Amazon.CDK.AWS.SecretsManager.SecretStringGenerator;

namespace Platform.Cdk;

/// <summary>
/// The platform on ECS Fargate: PostgreSQL (RDS, encrypted, private), the bus (SQS and SNS by default, Amazon MQ for
/// RabbitMQ with <c>-c bus=rabbitmq</c>), the
/// EventBridge rules that feed ingest's SQS queue (with a DLQ and an alarm on it), secrets in Secrets Manager
/// injected as container secrets, the platform file from an SSM parameter, and one task role per service holding
/// only what that service needs. The small variant runs the AllInOne host alone, on its in-memory bus or on SQS/SNS.
/// </summary>
public sealed partial class PlatformStack : Stack
{
    private readonly PlatformSettings settings;
    private readonly Cluster cluster;
    private readonly SecurityGroup services;
    private readonly IVpc vpc;
    private readonly Topic alarms;

    public PlatformStack(Construct scope, string id, PlatformSettings settings, IStackProps props) : base(scope, id, props)
    {
        this.settings = settings;
        vpc = settings.VpcId is null
            ? settings.Subnets == "public"
                // No NAT gateway: the tasks have public addresses (and no inbound rule); the database has no route out at all.
                ? new Vpc(this, "Vpc", new VpcProps
                {
                    MaxAzs = 2,
                    NatGateways = 0,
                    SubnetConfiguration =
                    [
                        new SubnetConfiguration { Name = "public", SubnetType = SubnetType.PUBLIC },
                        new SubnetConfiguration { Name = "database", SubnetType = SubnetType.PRIVATE_ISOLATED },
                    ],
                })
                : new Vpc(this, "Vpc", new VpcProps { MaxAzs = 2, NatGateways = 1 })
            : Vpc.FromVpcAttributes(this, "Vpc", new VpcAttributes
            {
                VpcId = settings.VpcId, AvailabilityZones = [.. settings.AvailabilityZones], PrivateSubnetIds = [.. settings.PrivateSubnetIds],
            });
        cluster = new Cluster(this, "Cluster", new ClusterProps
        {
            Vpc = vpc,
            ContainerInsights = settings.ContainerInsights,
            // Services find each other by name (digest asks history's API): history.platform.internal. One process needs no names.
            DefaultCloudMapNamespace = settings.Variant == "full" ? new CloudMapNamespaceOptions { Name = "platform.internal", Vpc = vpc } : null,
        });
        // Where the platform's own alarms go: when the watchdog is sick, someone must hear it from outside it.
        alarms = new Topic(this, "Alarms", new TopicProps { DisplayName = "Platform alarms", EnforceSSL = true });
        if (settings.AlarmEmail is { } email)
            alarms.AddSubscription(new EmailSubscription(email));
        services = new SecurityGroup(this, "Services", new SecurityGroupProps { Vpc = vpc, Description = "Platform services" });
        services.AddIngressRule(services, Port.Tcp(8080), "the services' HTTP APIs, from each other");

        var postgres = Database();
        var events = EventQueue();
        if (settings.CloudTrail == "create")
            Trail();
        var ingestKey = new SecretsManagerSecret(this, "IngestApiKey", new SecretsManagerSecretProps
        {
            Description = "The key for ingest's POST /events (header X-Api-Key)",
            GenerateSecretString = new SecretStringGenerator { ExcludePunctuation = true, PasswordLength = 40 },
        });
        var dashboardKey = new SecretsManagerSecret(this, "DashboardAccessKey", new SecretsManagerSecretProps
        {
            Description = "The key that opens history's dashboard (/ui)",
            GenerateSecretString = new SecretStringGenerator { ExcludePunctuation = true, PasswordLength = 40 },
        });
        var adminKey = new SecretsManagerSecret(this, "AdminApiKey", new SecretsManagerSecretProps
        {
            Description = "The notifier's admin key (creating and removing silences, header X-Api-Key)",
            GenerateSecretString = new SecretStringGenerator { ExcludePunctuation = true, PasswordLength = 40 },
        });
        var slackSecrets = settings.SlackSecretKeys.ToDictionary(k => k, k => EcsSecret.FromSecretsManager(SlackSecret(k)));
        var config = new StringParameter(this, "PlatformConfig", new StringParameterProps
        {
            Description = "The platform file (routes, silences, monitors)",
            StringValue = settings.PlatformConfigFile is { } file ? File.ReadAllText(file) : "routes: []\n",
            // Free while the file is at most 4 KB; an advanced parameter (up to 8 KB) when larger.
            Tier = ParameterTier.INTELLIGENT_TIERING,
        });

        var common = new Dictionary<string, EcsSecret>
        {
            ["Postgres__Password"] = EcsSecret.FromSecretsManager(postgres.Password, "password"),
            ["Platform__ConfigYaml"] = EcsSecret.FromSsmParameter(config),
        };
        // The connection string without its password, which comes as a secret of its own (Postgres__Password).
        var database = new Dictionary<string, string> { ["ConnectionStrings__Postgres"] = postgres.ConnectionString };
        var retryEnvironment = new Dictionary<string, string>
        {
            ["Aws__Region"] = settings.Region,
        };
        var ingestEnvironment = new Dictionary<string, string>
        {
            ["Ingest__Sqs__QueueUrl"] = events.QueueUrl,
            ["Ingest__Sqs__Region"] = settings.Region,
        };
        var ingestSecrets = new Dictionary<string, EcsSecret> { ["Ingest__ApiKey"] = EcsSecret.FromSecretsManager(ingestKey) };
        var dashboardSecrets = new Dictionary<string, EcsSecret> { ["Dashboard__AccessKey"] = EcsSecret.FromSecretsManager(dashboardKey) };
        // The admin key also reads (GET /deliveries, /incidents, /silences); the full variant adds a read key for the dashboard.
        var adminSecrets = new Dictionary<string, EcsSecret> { ["Notifier__AdminApiKey"] = EcsSecret.FromSecretsManager(adminKey) };
        var digestSecrets = new Dictionary<string, EcsSecret> { ["Digest__HistoryApiKey"] = EcsSecret.FromSecretsManager(dashboardKey) };

        var sqsBus = new Dictionary<string, string>
        {
            ["Bus__Transport"] = "AmazonSqs", ["Bus__AmazonSqs__Region"] = settings.Region, ["Bus__AmazonSqs__Prefix"] = settings.BusPrefix,
        };
        if (settings.Variant == "small")
        {
            var inMemory = new Dictionary<string, string> { ["Bus__Transport"] = "InMemory" };
            var role = Service("allinone", "AllInOne", 256, 1024,
                [settings.Bus == "sqs" ? sqsBus : inMemory,
                    new() { ["Digest__HistoryUrl"] = "http://127.0.0.1:8080/", ["Dashboard__NotifierUrl"] = "http://127.0.0.1:8080/" },
                    retryEnvironment, ingestEnvironment, database],
                [common, slackSecrets, ingestSecrets, dashboardSecrets, adminSecrets]);
            events.GrantConsumeMessages(role);
            AllowRetry(role);
            AllowReadingTaskDefinitions(role);
            if (settings.Bus == "sqs")
                AllowBus(role, PlatformBus.All);
            return;
        }

        var readKey = new SecretsManagerSecret(this, "NotifierReadKey", new SecretsManagerSecretProps
        {
            Description = "The notifier's read key (GET /deliveries, /incidents, /silences), which the dashboard sends",
            GenerateSecretString = new SecretStringGenerator { ExcludePunctuation = true, PasswordLength = 40 },
        });
        adminSecrets["Notifier__ReadApiKey"] = EcsSecret.FromSecretsManager(readKey);
        // Each reader holds only the key of what it reads: the dashboard the notifier's read key, the digest history's.
        var dashboardReaderSecrets = new Dictionary<string, EcsSecret> { ["Dashboard__NotifierApiKey"] = EcsSecret.FromSecretsManager(readKey) };
        var rabbitMq = settings.Bus == "rabbitmq";
        var bus = rabbitMq ? new Dictionary<string, string> { ["Bus__Transport"] = "RabbitMq" } : sqsBus;
        var busSecret = rabbitMq
            ? new Dictionary<string, EcsSecret> { ["ConnectionStrings__RabbitMq"] = EcsSecret.FromSecretsManager(Broker()) }
            : [];
        var ingest = Service("ingest", "Ingest", 256, 512, [bus, ingestEnvironment], [busSecret, ingestSecrets]);
        events.GrantConsumeMessages(ingest);
        var history = Service("history", "History", 256, 1024,
            [bus, database, new() { ["Dashboard__NotifierUrl"] = "http://notifier.platform.internal:8080/", ["Aws__Region"] = settings.Region }],
            [common, busSecret, dashboardSecrets, dashboardReaderSecrets], discoverable: true);
        AllowReadingTaskDefinitions(history);
        var notifier = Service("notifier", "Notifier", 256, 512, [bus, database], [common, busSecret, slackSecrets, adminSecrets], discoverable: true);
        var retry = Service("retry", "Retry", 256, 512, [bus, database, retryEnvironment], [common, busSecret]);
        AllowRetry(retry);
        var digest = Service("digest", "Digest", 256, 512, [bus, database, new() { ["Digest__HistoryUrl"] = "http://history.platform.internal:8080/" }], [common, busSecret, digestSecrets]);
        if (rabbitMq)
            return;
        foreach (var (name, role) in new[] { ("ingest", ingest), ("history", history), ("notifier", notifier), ("retry", retry), ("digest", digest) })
            AllowBus(role, PlatformBus.Services[name]);
    }

    /// <summary>
    /// A service on the SQS/SNS bus may touch only its own queues and topics: consume its queues (with their
    /// <c>_error</c>, <c>_dlq</c> and <c>_skipped</c> queues) and subscribe them to the topics of what they take; publish
    /// to the topics of what it publishes, and declare the queues subscribed to them, so a message published before its
    /// consumer first ran waits for it; send to the queues it sends to; publish MassTransit's faults of what it
    /// consumes. The queues' depth alarms come with the queues consumed.
    /// </summary>
    private void AllowBus(Role role, BusUse use)
    {
        string Queue(string name) => $"arn:aws:sqs:{settings.Region}:{settings.Account}:{settings.BusPrefix}{name}";
        string Topic(string name) => $"arn:aws:sns:{settings.Region}:{settings.Account}:{settings.BusPrefix}{name}";
        string[] Declare = ["sqs:CreateQueue", "sqs:GetQueueUrl", "sqs:GetQueueAttributes", "sqs:SetQueueAttributes"];
        void Allow(string[] actions, IEnumerable<string> resources)
        {
            if (resources.Distinct().ToArray() is { Length: > 0 } list)
                role.AddToPolicy(new PolicyStatement(new PolicyStatementProps { Actions = actions, Resources = list }));
        }

        Allow([.. Declare, "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:SendMessage"],
            use.Consumes.SelectMany(q => new[] { Queue(q), Queue(q + "_*") }));
        var taken = PlatformBus.Subscriptions.Where(s => use.Consumes.Contains(s.Queue)).Select(s => Topic(s.Topic));
        var published = use.Publishes.Select(Topic);
        Allow(["sns:CreateTopic", "sns:Subscribe"], taken.Concat(published));
        Allow(["sns:Publish"], published.Concat(use.Consumes.Length > 0 ? [Topic("MassTransit-Fault--*")] : []));
        Allow(["sns:CreateTopic"], use.Consumes.Length > 0 ? [Topic("MassTransit-Fault--*")] : []);
        Allow(Declare, PlatformBus.Subscriptions.Where(s => use.Publishes.Contains(s.Topic)).SelectMany(s => new[] { Queue(s.Queue), Queue(s.Queue + "_*") }));
        Allow(["sqs:CreateQueue", "sqs:GetQueueUrl", "sqs:GetQueueAttributes", "sqs:SendMessage"], use.SendsTo.Select(Queue));

        foreach (var queue in use.Consumes)
            foreach (var (suffix, what) in new[] { ("_error", "could not be handled and wait in"), ("_dlq", "were received too often (a consumer crashing its process) and wait in") })
                Alarm($"{Id(queue)}{Id(suffix)}Alarm", $"Messages of the platform's bus {what} {settings.BusPrefix}{queue}{suffix}",
                    new Metric(new MetricProps
                    {
                        Namespace = "AWS/SQS",
                        MetricName = "ApproximateNumberOfMessagesVisible",
                        DimensionsMap = new Dictionary<string, string> { ["QueueName"] = $"{settings.BusPrefix}{queue}{suffix}" },
                        Statistic = "Maximum",
                        Period = Duration.Minutes(5),
                    }), threshold: 1, periods: 1);
    }

    private static string Id(string name) => string.Concat(name.Split('-', '_').Select(p => p.Length == 0 ? "" : char.ToUpperInvariant(p[0]) + p[1..]));

    /// <summary>
    /// One secret per <c>${ENV}</c> name of the platform file, created with a random placeholder that the operator
    /// replaces. Its properties never change afterwards, so adding or removing another key (or any update) never
    /// writes over a stored webhook URL or token; and it is kept when the stack no longer names it.
    /// </summary>
    private SecretsManagerSecret SlackSecret(string key)
    {
        var secret = new SecretsManagerSecret(this, $"Slack{key}", new SecretsManagerSecretProps
        {
            Description = $"${{{key}}} of the platform file (a Slack webhook URL or bot token): replace the generated placeholder",
            GenerateSecretString = new SecretStringGenerator { ExcludePunctuation = true, PasswordLength = 32 },
        });
        secret.ApplyRemovalPolicy(RemovalPolicy.RETAIN);
        return secret;
    }

    /// <summary>
    /// A trail of the account's write management events (the first copy of management events is free): without a
    /// trail, EventBridge receives no "AWS API Call via CloudTrail" events, and launch failures never arrive. Its bucket
    /// is encrypted, private, refuses plain HTTP and forgets logs after 90 days; it is kept when the stack goes.
    /// </summary>
    private void Trail()
    {
        var bucket = new Bucket(this, "TrailLogs", new BucketProps
        {
            Encryption = BucketEncryption.S3_MANAGED,
            BlockPublicAccess = BlockPublicAccess.BLOCK_ALL,
            EnforceSSL = true,
            LifecycleRules = [new Amazon.CDK.AWS.S3.LifecycleRule { Expiration = Duration.Days(90) }],
            RemovalPolicy = RemovalPolicy.RETAIN,
        });
        new Trail(this, "ManagementEvents", new TrailProps
        {
            Bucket = bucket,
            ManagementEvents = ReadWriteType.WRITE_ONLY,
            IsMultiRegionTrail = false,
            IncludeGlobalServiceEvents = false,
            EnableFileValidation = true,
        });
    }

    /// <summary>
    /// An image from a private ECR registry is referenced as the repository it is in, which grants the execution role
    /// the pull actions on it (and ECR's authorization token); any other registry is taken as public.
    /// </summary>
    private ContainerImage Image(string name)
    {
        if (EcrRegistry().Match(settings.ImageRegistry) is not { Success: true } ecr)
            return ContainerImage.FromRegistry($"{settings.ImageRegistry}/platform/{name}:{settings.ImageTag}");
        var partition = ecr.Groups[3].Success ? "aws-cn" : "aws";
        var repository = Repository.FromRepositoryArn(this, $"{name}Repository",
            $"arn:{partition}:ecr:{ecr.Groups[2].Value}:{ecr.Groups[1].Value}:repository/platform/{name}");
        return ContainerImage.FromEcrRepository(repository, settings.ImageTag);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$")]
    private static partial System.Text.RegularExpressions.Regex EcrRegistry();

    private string[] StateMachineArns => [.. settings.MonitoredStateMachines.Select(m => $"arn:aws:states:{settings.Region}:{settings.Account}:stateMachine:{m}")];

    private string[] ClusterArns => [.. settings.MonitoredClusters.Select(c => $"arn:aws:ecs:{settings.Region}:{settings.Account}:cluster/{c}")];

    /// <summary>PostgreSQL: its connection string without the password, and the generated secret that holds the password.</summary>
    private (string ConnectionString, Amazon.CDK.AWS.SecretsManager.ISecret Password) Database()
    {
        var access = new SecurityGroup(this, "DatabaseAccess", new SecurityGroupProps { Vpc = vpc, Description = "PostgreSQL from the platform services" });
        access.AddIngressRule(services, Port.Tcp(5432), "platform services");
        var db = new DatabaseInstance(this, "Database", new DatabaseInstanceProps
        {
            Engine = DatabaseInstanceEngine.Postgres(new PostgresInstanceEngineProps { Version = PostgresEngineVersion.VER_16 }),
            InstanceType = new Amazon.CDK.AWS.EC2.InstanceType(settings.DatabaseInstanceClass["db.".Length..]),
            AllocatedStorage = settings.DatabaseStorageGb,
            StorageType = StorageType.GP3,
            Vpc = vpc,
            VpcSubnets = new SubnetSelection { SubnetType = settings.Subnets == "public" ? SubnetType.PRIVATE_ISOLATED : SubnetType.PRIVATE_WITH_EGRESS },
            SecurityGroups = [access],
            StorageEncrypted = true,
            PubliclyAccessible = false,
            Credentials = Credentials.FromGeneratedSecret("platform"),
            DatabaseName = "platform",
            BackupRetention = Duration.Days(7),
            DeletionProtection = true,
            RemovalPolicy = RemovalPolicy.SNAPSHOT,
        });
        return ($"Host={db.DbInstanceEndpointAddress};Port={db.DbInstanceEndpointPort};Database=platform;Username=platform;SSL Mode=Require", db.Secret!);
    }

    /// <summary>Amazon MQ for RabbitMQ, private; a secret holds its AMQPS URI with the generated password.</summary>
    private SecretsManagerSecret Broker()
    {
        var access = new SecurityGroup(this, "BrokerAccess", new SecurityGroupProps { Vpc = vpc, Description = "AMQPS from the platform services" });
        access.AddIngressRule(services, Port.Tcp(5671), "platform services");
        var password = new SecretsManagerSecret(this, "BrokerPassword", new SecretsManagerSecretProps
        {
            GenerateSecretString = new SecretStringGenerator { ExcludePunctuation = true, PasswordLength = 32 },
        });
        var broker = new CfnBroker(this, "Broker", new CfnBrokerProps
        {
            // A broker's name is required and unique in the account, and some changes replace the broker: the name
            // carries a hash of the properties that do, so a replacement gets a new name instead of failing.
            BrokerName = $"platform-{ReplacementHash("RABBITMQ", "SINGLE_INSTANCE", "private", StableId(vpc.PrivateSubnets[0]))}",
            EngineType = "RABBITMQ",
            EngineVersion = "3.13",
            HostInstanceType = "mq.t3.micro",
            DeploymentMode = "SINGLE_INSTANCE",
            PubliclyAccessible = false,
            AutoMinorVersionUpgrade = true,
            SubnetIds = [vpc.PrivateSubnets[0].SubnetId],
            SecurityGroups = [access.SecurityGroupId],
            Users = new object[] { new CfnBroker.UserProperty { Username = "platform", Password = password.SecretValue.UnsafeUnwrap() } },
            Logs = new CfnBroker.LogListProperty { General = true },
        });
        var endpoint = Fn.Select(0, broker.AttrAmqpEndpoints);
        var hostAndPort = Fn.Select(1, Fn.Split("://", endpoint));
        return new SecretsManagerSecret(this, "BrokerConnection", new SecretsManagerSecretProps
        {
            Description = "AMQPS URI of the platform broker",
            SecretStringValue = SecretValue.UnsafePlainText($"amqps://platform:{password.SecretValue.UnsafeUnwrap()}@{hostAndPort}/"),
        });
    }

    private static string ReplacementHash(params string[] properties) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(string.Join("|", properties))))[..8];

    /// <summary>A subnet's id where it is known at synth time (an existing VPC), else its place in this stack.</summary>
    private static string StableId(ISubnet subnet) => Token.IsUnresolved(subnet.SubnetId) ? subnet.Node.Path : subnet.SubnetId;

    /// <summary>EventBridge → SQS (ingest reads it); a DLQ for what cannot be delivered or read, and an alarm on it.</summary>
    private Queue EventQueue()
    {
        var dlq = new Queue(this, "EventsDeadLetters", new QueueProps { RetentionPeriod = Duration.Days(14), Encryption = QueueEncryption.SQS_MANAGED, EnforceSSL = true });
        var queue = new Queue(this, "Events", new QueueProps
        {
            VisibilityTimeout = Duration.Seconds(60),
            Encryption = QueueEncryption.SQS_MANAGED,
            EnforceSSL = true,
            DeadLetterQueue = new DeadLetterQueue { Queue = dlq, MaxReceiveCount = 5 },
        });
        var target = new SqsQueue(queue, new SqsQueueProps { DeadLetterQueue = dlq, RetryAttempts = 10 });
        new Rule(this, "TaskStateChanges", new RuleProps
        {
            Description = "ECS task state changes of the monitored clusters",
            EventPattern = new EventPattern
            {
                Source = ["aws.ecs"],
                DetailType = ["ECS Task State Change"],
                Detail = new Dictionary<string, object> { ["clusterArn"] = ClusterArns },
            },
            Targets = [target],
        });
        new Rule(this, "RunTaskCalls", new RuleProps
        {
            Description = "CloudTrail records of RunTask and StartTask on the monitored clusters (failed launches, and the requests of started tasks)",
            EventPattern = new EventPattern
            {
                Source = ["aws.ecs"],
                DetailType = ["AWS API Call via CloudTrail"],
                // The trail sees the whole account: only calls on the monitored clusters, which a caller names by name or ARN.
                Detail = new Dictionary<string, object>
                {
                    ["eventSource"] = new[] { "ecs.amazonaws.com" },
                    ["eventName"] = new[] { "RunTask", "StartTask" },
                    ["requestParameters"] = new Dictionary<string, object> { ["cluster"] = settings.MonitoredClusters.Concat(ClusterArns).ToArray() },
                },
            },
            Targets = [target],
        });
        if (settings.MonitoredStateMachines.Count > 0)
            new Rule(this, "ExecutionStatusChanges", new RuleProps
            {
                Description = "Step Functions execution status changes of the monitored state machines",
                EventPattern = new EventPattern
                {
                    Source = ["aws.states"],
                    DetailType = ["Step Functions Execution Status Change"],
                    Detail = new Dictionary<string, object> { ["stateMachineArn"] = StateMachineArns },
                },
                Targets = [target],
            });
                Alarm("EventsDeadLettersAlarm", "Events that EventBridge could not deliver or ingest could not read are waiting in the DLQ",
            dlq.MetricApproximateNumberOfMessagesVisible(new MetricOptions { Period = Duration.Minutes(5) }), threshold: 1, periods: 1);
        // A stalled pipeline: ingest not reading (stopped, crash-looping, or behind).
        Alarm("EventsQueueStalledAlarm", "The oldest event in the events queue has waited more than 5 minutes: ingest is not reading it",
            queue.MetricApproximateAgeOfOldestMessage(new MetricOptions { Period = Duration.Minutes(5), Statistic = "Maximum" }), threshold: 300, periods: 1);
        return queue;
    }

    /// <summary>An alarm that tells the alarm topic when it fires and when it clears.</summary>
    private void Alarm(string id, string description, IMetric metric, double threshold, int periods,
        ComparisonOperator comparison = ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD, TreatMissingData missing = TreatMissingData.NOT_BREACHING)
    {
        var alarm = new Alarm(this, id, new AlarmProps
        {
            AlarmDescription = description,
            Metric = metric,
            Threshold = threshold,
            EvaluationPeriods = periods,
            ComparisonOperator = comparison,
            TreatMissingData = missing,
        });
        alarm.AddAlarmAction(new SnsAction(alarms));
        alarm.AddOkAction(new SnsAction(alarms));
    }

    /// <summary>One platform service: its own task role, log group (30 days) and container health check.</summary>
    private Role Service(string name, string project, int cpu, int memory, Dictionary<string, string>[] environment, Dictionary<string, EcsSecret>[] secrets,
        bool discoverable = false)
    {
        var role = new Role(this, $"{project}TaskRole", new RoleProps
        {
            AssumedBy = new ServicePrincipal("ecs-tasks.amazonaws.com"),
            Description = $"The platform's {name} service",
        });
        var task = new FargateTaskDefinition(this, $"{project}Task", new FargateTaskDefinitionProps
        {
            Cpu = cpu,
            MemoryLimitMiB = memory,
            TaskRole = role,
            RuntimePlatform = new RuntimePlatform
            {
                CpuArchitecture = settings.Architecture == "arm64" ? CpuArchitecture.ARM64 : CpuArchitecture.X86_64,
                OperatingSystemFamily = OperatingSystemFamily.LINUX,
            },
        });
        if (settings.HeartbeatUrl is { } heartbeat)
            environment = [.. environment, new() { ["Heartbeat__Url"] = heartbeat.Replace("{service}", name, StringComparison.Ordinal) }];
        var logs = new LogGroup(this, $"{project}Logs", new Amazon.CDK.AWS.Logs.LogGroupProps { Retention = RetentionDays.ONE_MONTH, RemovalPolicy = RemovalPolicy.RETAIN });
        task.AddContainer(name, new ContainerDefinitionOptions
        {
            Image = Image(name),
            Environment = environment.SelectMany(e => e).ToDictionary(),
            Secrets = secrets.SelectMany(s => s).ToDictionary(),
            Logging = LogDriver.AwsLogs(new AwsLogDriverProps { LogGroup = logs, StreamPrefix = name }),
            PortMappings = [new PortMapping { ContainerPort = 8080 }],
            StopTimeout = Duration.Seconds(30),
            HealthCheck = new EcsHealthCheck
            {
                Command = ["CMD-SHELL", "bash -c 'exec 3<>/dev/tcp/127.0.0.1/8080 && printf \"GET /health HTTP/1.0\\r\\n\\r\\n\" >&3 && head -1 <&3 | grep -q \" 200 \"'"],
                Interval = Duration.Seconds(15),
                StartPeriod = Duration.Seconds(60),
            },
        });
        var service = new FargateService(this, $"{project}Service", new FargateServiceProps
        {
            Cluster = cluster,
            TaskDefinition = task,
            DesiredCount = 1,
            SecurityGroups = [services],
            VpcSubnets = new SubnetSelection { SubnetType = settings.Subnets == "public" ? SubnetType.PUBLIC : SubnetType.PRIVATE_WITH_EGRESS },
            AssignPublicIp = settings.Subnets == "public",
            CircuitBreaker = new DeploymentCircuitBreaker { Rollback = true },
            CloudMapOptions = discoverable ? new CloudMapOptions { Name = name } : null,
        });
        // No task running for 5 minutes (each service wants one): crash-looping, unable to pull or to start, or out of
        // capacity. ECS reports a service's CPU every minute only while a task of it runs, so a missing minute is a
        // missing task; this needs no Container Insights (billed per metric).
        Alarm($"{project}TasksMissingAlarm", $"The platform's {name} service has run fewer tasks than desired for 5 minutes",
            new Metric(new MetricProps
            {
                Namespace = "AWS/ECS",
                MetricName = "CPUUtilization",
                DimensionsMap = new Dictionary<string, string> { ["ClusterName"] = cluster.ClusterName, ["ServiceName"] = service.ServiceName },
                Statistic = "SampleCount",
                Period = Duration.Minutes(1),
            }), threshold: 1, periods: 5, ComparisonOperator.LESS_THAN_THRESHOLD, TreatMissingData.BREACHING);
        // A message the service could not handle (any bus): it logs one line per message moved to an error queue.
        var deadLettered = new MetricFilter(this, $"{project}DeadLettered", new MetricFilterProps
        {
            LogGroup = logs,
            FilterPattern = FilterPattern.AllTerms("could not be handled and wait in"),
            MetricNamespace = "Platform",
            MetricName = $"DeadLettered-{name}",
            MetricValue = "1",
        });
        Alarm($"{project}DeadLetteredAlarm", $"The platform's {name} service could not handle a message; it waits in an error queue (its log says which)",
            deadLettered.Metric(new MetricOptions { Statistic = "Sum", Period = Duration.Minutes(5) }), threshold: 1, periods: 1);
        return role;
    }

    /// <summary>
    /// History reads which containers of a task definition are essential. DescribeTaskDefinition has no resource-level
    /// permissions (the Service Authorization Reference lists no resource type for it), hence <c>*</c>; it reads, never changes.
    /// </summary>
    private void AllowReadingTaskDefinitions(Role role)
    {
        role.AddToPolicy(new PolicyStatement(new PolicyStatementProps { Actions = ["ecs:DescribeTaskDefinition"], Resources = ["*"] }));
        // And, once an execution of a monitored state machine ended, its history: which state failed, which tasks it ran.
        if (settings.MonitoredStateMachines.Count > 0)
            role.AddToPolicy(new PolicyStatement(new PolicyStatementProps
            {
                Actions = ["states:GetExecutionHistory"],
                Resources = [.. settings.MonitoredStateMachines.Select(m => $"arn:aws:states:{settings.Region}:{settings.Account}:execution:{m}:*")],
            }));
    }

    /// <summary>
    /// Retry alone may call ECS: RunTask, StopTask and DescribeTasks on the monitored clusters, and pass only their roles;
    /// and CloudTrail's LookupEvents (which has no resource-level permissions), to read the RunTask it would replay.
    /// </summary>
    private void AllowRetry(Role role)
    {
        var tasks = settings.MonitoredClusters.Select(c => $"arn:aws:ecs:{settings.Region}:{settings.Account}:task/{c}/*").ToArray();
        role.AddToPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Actions = ["ecs:RunTask"],
            Resources = [$"arn:aws:ecs:{settings.Region}:{settings.Account}:task-definition/*"],
            Conditions = new Dictionary<string, object> { ["ArnEquals"] = new Dictionary<string, object> { ["ecs:cluster"] = ClusterArns } },
        }));
        role.AddToPolicy(new PolicyStatement(new PolicyStatementProps { Actions = ["ecs:StopTask", "ecs:DescribeTasks"], Resources = tasks }));
        role.AddToPolicy(new PolicyStatement(new PolicyStatementProps { Actions = ["cloudtrail:LookupEvents"], Resources = ["*"] }));
        role.AddToPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Actions = ["ecs:TagResource"],
            Resources = tasks,
            Conditions = new Dictionary<string, object> { ["StringEquals"] = new Dictionary<string, object> { ["ecs:CreateAction"] = "RunTask" } },
        }));
        if (settings.MonitoredTaskRoleArns.Count > 0)
            role.AddToPolicy(new PolicyStatement(new PolicyStatementProps
            {
                Actions = ["iam:PassRole"],
                Resources = [.. settings.MonitoredTaskRoleArns],
                Conditions = new Dictionary<string, object> { ["StringEquals"] = new Dictionary<string, object> { ["iam:PassedToService"] = "ecs-tasks.amazonaws.com" } },
            }));
    }
}
