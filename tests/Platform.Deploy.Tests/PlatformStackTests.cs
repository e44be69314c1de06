using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.CDK;
using Amazon.CDK.Assertions;
using Platform.Cdk;
using Platform.Testing;
using Xunit;

namespace Platform.Deploy.Tests;

/// <summary>Synthesizes the CDK app offline (jsii runs on this machine's Node) and checks the CloudFormation it makes.</summary>
[Collection(Synthesis.Collection)]
public class PlatformStackTests
{
    private const string TaskRole = "arn:aws:iam::123456789012:role/nightly-report-task";

    static PlatformStackTests()
    {
        // jsii would otherwise leave its runtime in /tmp and a cache in the home folder, per process.
        var jsii = Path.Combine(AppContext.BaseDirectory, "jsii");
        Directory.CreateDirectory(jsii);
        System.Environment.SetEnvironmentVariable("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20");
        System.Environment.SetEnvironmentVariable("JSII_RUNTIME_PACKAGE_CACHE_ROOT", jsii);
        System.Environment.SetEnvironmentVariable("TMPDIR", jsii);
    }

    private static (PlatformStack Stack, JsonObject Template) Synth(Dictionary<string, object> context)
    {
        var app = new App(new AppProps { Outdir = Path.Combine(AppContext.BaseDirectory, "cdk.out", Guid.NewGuid().ToString("N")), Context = context });
        var stack = PlatformSettings.FromContext(app).AddStacks(app);
        var template = JsonSerializer.SerializeToNode(Template.FromStack(stack).ToJSON())!.AsObject();
        return (stack, template);
    }

    private static Dictionary<string, object> Context(string variant = "full") => new()
    {
        ["account"] = "123456789012",
        ["region"] = "eu-west-1",
        ["variant"] = variant,
        ["monitoredClusters"] = "batch,reports",
        ["monitoredTaskRoleArns"] = TaskRole,
        ["imageRegistry"] = "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
        ["imageTag"] = "1.2.3",
        ["platformConfigFile"] = Path.Combine(RepositoryPaths.Root, "deploy", "local", "demo", "platform.yaml"),
    };

    private static IEnumerable<JsonObject> Resources(JsonObject template, string type) =>
        template["Resources"]!.AsObject().Select(r => r.Value!.AsObject()).Where(r => r["Type"]!.GetValue<string>() == type);

    private static IEnumerable<JsonObject> Statements(JsonObject policy) =>
        policy["Properties"]!["PolicyDocument"]!["Statement"]!.AsArray().Select(s => s!.AsObject());

    private static IEnumerable<string> Actions(JsonObject statement) =>
        statement["Action"] is JsonArray many ? many.Select(a => a!.GetValue<string>()) : [statement["Action"]!.GetValue<string>()];

    [Fact]
    public void The_full_variant_runs_each_service_with_private_encrypted_storage_its_bus_on_SQS_and_SNS_and_the_event_feed()
    {
        var (_, template) = Synth(Context());

        Assert.Equal(5, Resources(template, "AWS::ECS::Service").Count());
        var db = Assert.Single(Resources(template, "AWS::RDS::DBInstance"))["Properties"]!;
        Assert.True(db["StorageEncrypted"]!.GetValue<bool>());
        Assert.False(db["PubliclyAccessible"]!.GetValue<bool>());
        // No broker to rent and run: the services' bus is SQS and SNS.
        Assert.Empty(Resources(template, "AWS::AmazonMQ::Broker"));
        Assert.All(Resources(template, "AWS::ECS::TaskDefinition").Select(t => t["Properties"]!["ContainerDefinitions"]![0]!["Environment"]!.AsArray()), environment =>
        {
            Assert.Contains(environment, e => e!["Name"]!.GetValue<string>() == "Bus__Transport" && e["Value"]!.GetValue<string>() == "AmazonSqs");
            Assert.Contains(environment, e => e!["Name"]!.GetValue<string>() == "Bus__AmazonSqs__Prefix" && e["Value"]!.GetValue<string>() == "platform-");
        });

        var rules = Resources(template, "AWS::Events::Rule").Select(r => r["Properties"]!).ToList();
        Assert.Equal(2, rules.Count);
        var stateChanges = rules.Single(r => r["EventPattern"]!["detail-type"]![0]!.GetValue<string>() == "ECS Task State Change");
        Assert.Equal(["arn:aws:ecs:eu-west-1:123456789012:cluster/batch", "arn:aws:ecs:eu-west-1:123456789012:cluster/reports"],
            stateChanges["EventPattern"]!["detail"]!["clusterArn"]!.AsArray().Select(a => a!.GetValue<string>()));
        var calls = rules.Single(r => r["EventPattern"]!["detail-type"]![0]!.GetValue<string>() == "AWS API Call via CloudTrail");
        Assert.Equal(["RunTask", "StartTask"], calls["EventPattern"]!["detail"]!["eventName"]!.AsArray().Select(a => a!.GetValue<string>()));
        // Only the monitored clusters' calls, named either way (RunTask's cluster parameter takes a name or an ARN).
        Assert.Equal(["batch", "reports", "arn:aws:ecs:eu-west-1:123456789012:cluster/batch", "arn:aws:ecs:eu-west-1:123456789012:cluster/reports"],
            calls["EventPattern"]!["detail"]!["requestParameters"]!["cluster"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.All(rules, r => Assert.NotNull(r["Targets"]![0]!["DeadLetterConfig"]));
        // No state machine monitored, no Step Functions rule and no permission to read executions.
        Assert.DoesNotContain("states:", Resources(template, "AWS::IAM::Policy").Select(p => p.ToJsonString()).Aggregate("", string.Concat));
        Assert.Contains(Resources(template, "AWS::SQS::Queue"), q => q["Properties"]!["RedrivePolicy"]?["maxReceiveCount"]?.GetValue<int>() == 5);
        // The events queue's DLQ alarms (beside the bus's error and dead-letter queues, whose names the services give them).
        Assert.Single(Resources(template, "AWS::CloudWatch::Alarm"), a => a["Properties"]!["MetricName"]?.GetValue<string>() == "ApproximateNumberOfMessagesVisible"
            && a["Properties"]!["Dimensions"]![0]!["Value"] is JsonObject);
        Assert.All(Resources(template, "AWS::Logs::LogGroup"), g => Assert.Equal(30, g["Properties"]!["RetentionInDays"]!.GetValue<int>()));
    }

    [Fact]
    public void Monitored_state_machines_bring_their_execution_events_and_history_may_read_only_their_executions()
    {
        foreach (var variant in new[] { "full", "small" })
        {
            var context = Context(variant);
            context["monitoredStateMachines"] = "nightly-etl,exports";
            var (_, template) = Synth(context);

            var rule = Assert.Single(Resources(template, "AWS::Events::Rule").Select(r => r["Properties"]!),
                r => r["EventPattern"]!["source"]![0]!.GetValue<string>() == "aws.states");
            Assert.Equal("Step Functions Execution Status Change", rule["EventPattern"]!["detail-type"]![0]!.GetValue<string>());
            Assert.Equal(["arn:aws:states:eu-west-1:123456789012:stateMachine:nightly-etl", "arn:aws:states:eu-west-1:123456789012:stateMachine:exports"],
                rule["EventPattern"]!["detail"]!["stateMachineArn"]!.AsArray().Select(a => a!.GetValue<string>()));
            Assert.NotNull(rule["Targets"]![0]!["DeadLetterConfig"]);
            var read = Assert.Single(Resources(template, "AWS::IAM::Policy").SelectMany(Statements), s => Actions(s).Any(a => a.StartsWith("states:", StringComparison.Ordinal)));
            Assert.Equal(["states:GetExecutionHistory"], Actions(read));
            Assert.Equal(["arn:aws:states:eu-west-1:123456789012:execution:nightly-etl:*", "arn:aws:states:eu-west-1:123456789012:execution:exports:*"],
                read["Resource"]!.AsArray().Select(r => r!.GetValue<string>()));
        }
    }

    [Fact]
    public void Secrets_reach_containers_as_secrets_never_as_plain_environment_values()
    {
        var (_, template) = Synth(Context());

        var containers = Resources(template, "AWS::ECS::TaskDefinition").SelectMany(t => t["Properties"]!["ContainerDefinitions"]!.AsArray()).ToList();
        Assert.Equal(5, containers.Count);
        foreach (var container in containers)
        {
            var environment = (container!["Environment"]?.AsArray() ?? []).Select(e => e!["Name"]!.GetValue<string>()).ToList();
            var secrets = container["Secrets"]!.AsArray().Select(e => e!["Name"]!.GetValue<string>()).ToList();
            Assert.DoesNotContain(environment, name => name is "Ingest__ApiKey" or "SLACK_WEBHOOK" or "Dashboard__AccessKey" or "Notifier__AdminApiKey" or "Postgres__Password");
            Assert.DoesNotContain("ConnectionStrings__RabbitMq", secrets);
            // The connection string is plain; its password comes as a secret of its own, the database's generated one.
            if (container["Environment"]?.AsArray().FirstOrDefault(e => e!["Name"]!.GetValue<string>() == "ConnectionStrings__Postgres") is { } connection)
            {
                Assert.DoesNotContain("Password", connection["Value"]!.ToJsonString(), StringComparison.OrdinalIgnoreCase);
                Assert.Contains("Postgres__Password", secrets);
            }
            // The repository's URI, with the partition's domain as CloudFormation resolves it.
            var image = container["Image"]!.ToJsonString();
            Assert.Contains("123456789012.dkr.ecr.eu-west-1.", image);
            Assert.Contains($"/platform/{container["Name"]!.GetValue<string>()}:1.2.3", image);
        }
        var notifier = containers.Single(c => c!["Name"]!.GetValue<string>() == "notifier")!;
        Assert.Contains("SLACK_WEBHOOK", notifier["Secrets"]!.AsArray().Select(e => e!["Name"]!.GetValue<string>()));
        var ingest = containers.Single(c => c!["Name"]!.GetValue<string>() == "ingest")!;
        Assert.Contains("Ingest__ApiKey", ingest["Secrets"]!.AsArray().Select(e => e!["Name"]!.GetValue<string>()));
        Assert.Contains("Notifier__AdminApiKey", notifier["Secrets"]!.AsArray().Select(e => e!["Name"]!.GetValue<string>()));
        var history = containers.Single(c => c!["Name"]!.GetValue<string>() == "history")!;
        Assert.Contains("Dashboard__AccessKey", history["Secrets"]!.AsArray().Select(e => e!["Name"]!.GetValue<string>()));
    }

    [Fact]
    public void Only_retry_may_act_on_ECS_and_only_on_the_monitored_clusters_and_roles_and_history_may_only_read_task_definitions()
    {
        var (_, template) = Synth(Context());

        var policies = Resources(template, "AWS::IAM::Policy").ToList();
        var ecsPolicies = policies.Where(p => Statements(p).Any(s => Actions(s).Any(a => a.StartsWith("ecs:", StringComparison.Ordinal)))).ToList();
        Assert.Equal(2, ecsPolicies.Count);
        var retry = Assert.Single(ecsPolicies, p => p["Properties"]!["Roles"]![0]!["Ref"]!.GetValue<string>().Contains("RetryTaskRole"));
        // History learns which containers are essential; DescribeTaskDefinition has no resource-level permissions.
        var history = Assert.Single(ecsPolicies, p => p != retry);
        Assert.Contains("HistoryTaskRole", history["Properties"]!["Roles"]![0]!["Ref"]!.GetValue<string>());
        var describe = Assert.Single(Statements(history), s => Actions(s).Any(a => a.StartsWith("ecs:", StringComparison.Ordinal)));
        Assert.Equal(["ecs:DescribeTaskDefinition"], Actions(describe));
        Assert.Equal("*", describe["Resource"]!.GetValue<string>());
        Assert.Contains("RetryTaskRole", retry["Properties"]!["Roles"]![0]!["Ref"]!.GetValue<string>());
        var statements = Statements(retry).ToList();
        var runTask = statements.Single(s => Actions(s).Contains("ecs:RunTask"));
        Assert.Equal(2, runTask["Condition"]!["ArnEquals"]!["ecs:cluster"]!.AsArray().Count);
        var stop = statements.Single(s => Actions(s).Contains("ecs:StopTask"));
        Assert.Equal(["arn:aws:ecs:eu-west-1:123456789012:task/batch/*", "arn:aws:ecs:eu-west-1:123456789012:task/reports/*"],
            stop["Resource"]!.AsArray().Select(r => r!.GetValue<string>()));
        var pass = statements.Single(s => Actions(s).Contains("iam:PassRole"));
        Assert.Equal(TaskRole, pass["Resource"]!.GetValue<string>());
        Assert.DoesNotContain(statements, s => s["Resource"]?.ToJsonString() == "\"*\"" && Actions(s).Any(a => a.StartsWith("ecs:", StringComparison.Ordinal)));
        // Retry reads CloudTrail's record of a RunTask before it replays it; LookupEvents has no resource-level permissions.
        var lookup = statements.Single(s => Actions(s).Contains("cloudtrail:LookupEvents"));
        Assert.Equal(["cloudtrail:LookupEvents"], Actions(lookup));
    }

    [Fact]
    public void The_small_variant_is_the_AllInOne_host_alone_without_a_broker()
    {
        var (stack, template) = Synth(Context("small"));

        Assert.Equal("PlatformSmall", stack.StackName);
        Assert.Single(Resources(template, "AWS::ECS::Service"));
        Assert.Empty(Resources(template, "AWS::AmazonMQ::Broker"));
        var container = Assert.Single(Resources(template, "AWS::ECS::TaskDefinition"))["Properties"]!["ContainerDefinitions"]![0]!;
        Assert.Contains(container["Environment"]!.AsArray(), e => e!["Name"]!.GetValue<string>() == "Bus__Transport" && e["Value"]!.GetValue<string>() == "InMemory");
        Assert.Single(Resources(template, "AWS::RDS::DBInstance"));
    }

    [Fact]
    public void Missing_context_is_named()
    {
        var context = Context();
        context.Remove("monitoredClusters");
        var error = Assert.Throws<ArgumentException>(() => Synth(context));
        Assert.Contains("monitoredClusters", error.Message);
    }

    [Fact]
    public void Images_of_a_private_ECR_registry_are_pulled_with_grants_on_their_repositories_and_a_public_registry_needs_none()
    {
        var (_, template) = Synth(Context());

        var pulls = Resources(template, "AWS::IAM::Policy")
            .Where(p => p["Properties"]!["Roles"]![0]!["Ref"]!.GetValue<string>().Contains("TaskExecutionRole", StringComparison.Ordinal))
            .SelectMany(Statements).Where(s => Actions(s).Contains("ecr:BatchGetImage")).ToList();
        Assert.Equal(5, pulls.Count);
        foreach (var name in new[] { "ingest", "history", "notifier", "retry", "digest" })
            Assert.Contains(pulls, s => s["Resource"]!.ToJsonString().Contains($"repository/platform/{name}\u0022", StringComparison.Ordinal)
                || s["Resource"]!.ToJsonString().EndsWith($"repository/platform/{name}\"", StringComparison.Ordinal));
        Assert.All(pulls, s => Assert.Contains("ecr:GetDownloadUrlForLayer", Actions(s)));
        Assert.Contains(Resources(template, "AWS::IAM::Policy").SelectMany(Statements), s => Actions(s).Contains("ecr:GetAuthorizationToken"));

        var context = Context();
        context["imageRegistry"] = "public.ecr.aws/acme";
        var (_, open) = Synth(context);
        Assert.DoesNotContain(Resources(open, "AWS::IAM::Policy").SelectMany(Statements), s => Actions(s).Any(a => a.StartsWith("ecr:", StringComparison.Ordinal)));
        var images = Resources(open, "AWS::ECS::TaskDefinition").SelectMany(t => t["Properties"]!["ContainerDefinitions"]!.AsArray()).Select(c => c!["Image"]!.GetValue<string>());
        Assert.Contains("public.ecr.aws/acme/platform/history:1.2.3", images);
    }

    [Fact]
    public void Each_Slack_key_is_a_retained_secret_with_a_generated_placeholder_so_no_update_writes_over_a_stored_value()
    {
        var context = Context();
        context["slackSecretKeys"] = "SLACK_WEBHOOK,SLACK_BOT_TOKEN";
        var (_, before) = Synth(context);
        context["slackSecretKeys"] = "SLACK_WEBHOOK,SLACK_OPS_WEBHOOK";
        var (_, after) = Synth(context);

        JsonObject Secret(JsonObject template, string key) => template["Resources"]!.AsObject()
            .Single(r => r.Key.StartsWith("Slack" + key.Replace("_", ""), StringComparison.Ordinal) || r.Key.StartsWith("Slack" + key, StringComparison.Ordinal)).Value!.AsObject();
        var webhook = Secret(before, "SLACK_WEBHOOK");
        Assert.Null(webhook["Properties"]!["SecretString"]);
        Assert.NotNull(webhook["Properties"]!["GenerateSecretString"]);
        Assert.Equal("Retain", webhook["DeletionPolicy"]!.GetValue<string>());
        Assert.Equal("Retain", webhook["UpdateReplacePolicy"]!.GetValue<string>());
        // Adding and removing other keys leaves this secret's resource as it was: CloudFormation changes nothing in it.
        Assert.True(JsonNode.DeepEquals(webhook, Secret(after, "SLACK_WEBHOOK")));
        Assert.Equal("Retain", Secret(before, "SLACK_BOT_TOKEN")["DeletionPolicy"]!.GetValue<string>());

        context["slackSecretKeys"] = "SLACK-WEBHOOK";
        Assert.Contains("slackSecretKeys", Assert.Throws<ArgumentException>(() => Synth(context)).Message);
    }

    [Fact]
    public void With_bus_rabbitmq_the_services_use_Amazon_MQ_whose_name_is_not_fixed_and_queues_refuse_plain_HTTP()
    {
        var rabbit = Context();
        rabbit["bus"] = "rabbitmq";
        var (_, template) = Synth(rabbit);
        var broker = Assert.Single(Resources(template, "AWS::AmazonMQ::Broker"))["Properties"]!;
        Assert.Equal("RABBITMQ", broker["EngineType"]!.GetValue<string>());
        Assert.False(broker["PubliclyAccessible"]!.GetValue<bool>());
        Assert.All(Resources(template, "AWS::ECS::TaskDefinition").Select(t => t["Properties"]!["ContainerDefinitions"]![0]!),
            c => Assert.Contains("ConnectionStrings__RabbitMq", c!["Secrets"]!.AsArray().Select(e => e!["Name"]!.GetValue<string>())));

        var policies = Resources(template, "AWS::SQS::QueuePolicy").ToList();
        Assert.Equal(2, policies.Count);
        Assert.All(policies, p => Assert.Contains(Statements(p), s => s["Effect"]!.GetValue<string>() == "Deny"
            && s["Condition"]!["Bool"]!["aws:SecureTransport"]!.GetValue<string>() == "false"));

        var name = Assert.Single(Resources(template, "AWS::AmazonMQ::Broker"))["Properties"]!["BrokerName"]!.GetValue<string>();
        Assert.Matches("^platform-[0-9a-f]{8}$", name);
        var context = rabbit;
        context["vpcId"] = "vpc-0abc";
        context["availabilityZones"] = "eu-west-1a";
        context["privateSubnetIds"] = "subnet-0123";
        var (_, elsewhere) = Synth(context);
        Assert.NotEqual(name, Assert.Single(Resources(elsewhere, "AWS::AmazonMQ::Broker"))["Properties"]!["BrokerName"]!.GetValue<string>());
    }

    [Fact]
    public void A_trail_records_management_events_in_a_private_encrypted_bucket_unless_the_account_has_one()
    {
        var (_, template) = Synth(Context());

        var trail = Assert.Single(Resources(template, "AWS::CloudTrail::Trail"))["Properties"]!;
        Assert.True(trail["IsLogging"]!.GetValue<bool>());
        Assert.Equal("WriteOnly", trail["EventSelectors"]![0]!["ReadWriteType"]!.GetValue<string>());
        Assert.True(trail["EventSelectors"]![0]!["IncludeManagementEvents"]!.GetValue<bool>());
        var bucket = Resources(template, "AWS::S3::Bucket").Single();
        var properties = bucket["Properties"]!;
        Assert.Equal("AES256", properties["BucketEncryption"]!["ServerSideEncryptionConfiguration"]![0]!["ServerSideEncryptionByDefault"]!["SSEAlgorithm"]!.GetValue<string>());
        Assert.All(properties["PublicAccessBlockConfiguration"]!.AsObject(), p => Assert.True(p.Value!.GetValue<bool>()));
        Assert.Equal(90, properties["LifecycleConfiguration"]!["Rules"]![0]!["ExpirationInDays"]!.GetValue<int>());
        Assert.Equal("Retain", bucket["DeletionPolicy"]!.GetValue<string>());
        Assert.Contains(Resources(template, "AWS::S3::BucketPolicy").SelectMany(Statements), s => s["Effect"]!.GetValue<string>() == "Deny"
            && s["Condition"]?["Bool"]?["aws:SecureTransport"]?.GetValue<string>() == "false");

        var context = Context();
        context["cloudTrail"] = "existing";
        var (_, existing) = Synth(context);
        Assert.Empty(Resources(existing, "AWS::CloudTrail::Trail"));
        Assert.Empty(Resources(existing, "AWS::S3::Bucket"));
        context["cloudTrail"] = "none";
        Assert.Contains("cloudTrail", Assert.Throws<ArgumentException>(() => Synth(context)).Message);
    }

    [Theory]
    [InlineData("full", "sqs", 5)]
    [InlineData("full", "rabbitmq", 5)]
    [InlineData("small", "inmemory", 1)]
    [InlineData("small", "sqs", 1)]
    public void Every_alarm_tells_the_alarm_topic_which_mails_the_operator_and_a_stalled_queue_a_missing_task_or_a_bus_error_queue_alarms(
        string variant, string bus, int services)
    {
        var context = Context(variant);
        context["bus"] = bus;
        context["alarmEmail"] = "oncall@example.com";
        var (_, template) = Synth(context);

        var topic = template["Resources"]!.AsObject().Single(r => r.Value!["Type"]!.GetValue<string>() == "AWS::SNS::Topic").Key;
        var subscription = Assert.Single(Resources(template, "AWS::SNS::Subscription"))["Properties"]!;
        Assert.Equal("email", subscription["Protocol"]!.GetValue<string>());
        Assert.Equal("oncall@example.com", subscription["Endpoint"]!.GetValue<string>());

        var alarms = Resources(template, "AWS::CloudWatch::Alarm").Select(a => a["Properties"]!).ToList();
        // On SQS/SNS, each consumed queue's error and dead-letter queues alarm when a message waits in them.
        string[] queues = ["history-ecs-events", "history-retry-decisions", "history-dead-letters", "notifier-run-outcomes", "retry-run-outcomes"];
        var waiting = alarms.Where(a => a["Namespace"]?.GetValue<string>() == "AWS/SQS" && a["MetricName"]!.GetValue<string>() == "ApproximateNumberOfMessagesVisible"
            && a["Dimensions"]![0]!["Value"] is JsonValue name && name.GetValue<string>().StartsWith("platform-", StringComparison.Ordinal)).ToList();
        Assert.Equal(bus == "sqs" ? queues.SelectMany(q => new[] { $"platform-{q}_dlq", $"platform-{q}_error" }).Order() : [],
            waiting.Select(a => a["Dimensions"]![0]!["Value"]!.GetValue<string>()).Order());
        Assert.Equal(2 + 2 * services + waiting.Count, alarms.Count);
        Assert.All(alarms, a =>
        {
            Assert.Equal(topic, a["AlarmActions"]![0]!["Ref"]!.GetValue<string>());
            Assert.Equal(topic, a["OKActions"]![0]!["Ref"]!.GetValue<string>());
        });
        var stalled = Assert.Single(alarms, a => a["MetricName"]?.GetValue<string>() == "ApproximateAgeOfOldestMessage");
        Assert.Equal(300, stalled["Threshold"]!.GetValue<int>());
        // No task running for 5 minutes: ECS reports a service's CPU only while a task runs, so missing data breaches.
        var missing = alarms.Where(a => a["Namespace"]?.GetValue<string>() == "AWS/ECS" && a["MetricName"]?.GetValue<string>() == "CPUUtilization").ToList();
        Assert.Equal(services, missing.Count);
        Assert.All(missing, a =>
        {
            Assert.Equal(5, a["EvaluationPeriods"]!.GetValue<int>());
            Assert.Equal("SampleCount", a["Statistic"]!.GetValue<string>());
            Assert.Equal("LessThanThreshold", a["ComparisonOperator"]!.GetValue<string>());
            Assert.Equal("breaching", a["TreatMissingData"]!.GetValue<string>());
        });
        // A message a service could not handle, on any bus: its log line is counted.
        var deadLettered = alarms.Where(a => a["Namespace"]?.GetValue<string>() == "Platform").ToList();
        Assert.Equal(services, deadLettered.Count);
        Assert.Equal(services, Resources(template, "AWS::Logs::MetricFilter").Count(f => f["Properties"]!["FilterPattern"]!.GetValue<string>().Contains("could not be handled and wait in")));

        context["alarmEmail"] = "not-an-address";
        Assert.Contains("alarmEmail", Assert.Throws<ArgumentException>(() => Synth(context)).Message);
    }

    [Fact]
    public void On_SQS_and_SNS_each_task_role_touches_only_its_own_queues_and_topics()
    {
        var (_, template) = Synth(Context());
        var policies = Resources(template, "AWS::IAM::Policy").ToList();
        List<(string[] Actions, string[] Resources)> Bus(string role) => [.. policies
            .Where(p => p["Properties"]!["Roles"]!.AsArray().Any(r => r!["Ref"]!.GetValue<string>().Contains(role, StringComparison.Ordinal)))
            .SelectMany(Statements)
            .Where(s => Actions(s).Any(a => a.StartsWith("sns:", StringComparison.Ordinal)) || s["Resource"]!.ToJsonString().Contains(":platform-", StringComparison.Ordinal))
            .Select(s => (Actions(s).ToArray(), s["Resource"] is JsonArray many ? many.Select(r => r!.GetValue<string>()).ToArray() : [s["Resource"]!.GetValue<string>()]))];
        IEnumerable<string> Allowed(string role, string action) => Bus(role).Where(s => s.Actions.Contains(action)).SelectMany(s => s.Resources).Order();
        const string Sqs = "arn:aws:sqs:eu-west-1:123456789012:platform-";
        const string Sns = "arn:aws:sns:eu-west-1:123456789012:platform-";

        // The notifier receives from its own queue only, and publishes only its dead-letter reports and faults.
        Assert.Equal([Sqs + "notifier-run-outcomes", Sqs + "notifier-run-outcomes_*"], Allowed("NotifierTaskRole", "sqs:ReceiveMessage"));
        Assert.Equal([Sns + "MassTransit-Fault--*", Sns + "Platform_Contracts_Bus-MessageDeadLettered"], Allowed("NotifierTaskRole", "sns:Publish"));
        // Ingest sends to history's event queue and receives from no bus queue.
        Assert.Empty(Allowed("IngestTaskRole", "sqs:ReceiveMessage"));
        Assert.Equal([Sqs + "history-ecs-events"], Allowed("IngestTaskRole", "sqs:SendMessage"));
        // History publishes run outcomes (and may declare the notifier's and retry's queues that take them), never a retry decision.
        var historyPublishes = Allowed("HistoryTaskRole", "sns:Publish").ToList();
        Assert.Contains(Sns + "Platform_Contracts_History-RunFailed", historyPublishes);
        Assert.DoesNotContain(historyPublishes, t => t.Contains("Platform_Contracts_Retry-", StringComparison.Ordinal));
        Assert.Contains(Sqs + "notifier-run-outcomes", Allowed("HistoryTaskRole", "sqs:SetQueueAttributes"));
        Assert.DoesNotContain(Sqs + "notifier-run-outcomes", Allowed("HistoryTaskRole", "sqs:ReceiveMessage"));
        // Retry publishes its decisions only.
        Assert.All(Allowed("RetryTaskRole", "sns:Publish"), t => Assert.Matches("Platform_Contracts_(Retry-|Bus-MessageDeadLettered)|MassTransit-Fault", t));
        // Nothing on the bus is granted on '*'.
        Assert.All(new[] { "Ingest", "History", "Notifier", "Retry", "Digest" }.SelectMany(r => Bus(r + "TaskRole")), s => Assert.DoesNotContain("*", s.Resources));
    }

    [Fact]
    public void The_task_roles_bus_agrees_with_the_services_topology()
    {
        var names = new Platform.ServiceDefaults.AmazonSqs.SqsEntityNames("");
        Assert.Equal(Platform.ServiceDefaults.PlatformTopology.Subscriptions.Select(s => (names.MessageName(s.Message), s.Queue)).Order(), PlatformBus.Subscriptions.Order());
        // Every subscribed queue is consumed by exactly one service, and every subscribed message type is published by its producer.
        foreach (var queue in PlatformBus.Subscriptions.Select(s => s.Queue).Distinct())
            Assert.Single(PlatformBus.Services, s => s.Value.Consumes.Contains(queue));
        foreach (var (message, _) in Platform.ServiceDefaults.PlatformTopology.Subscriptions)
        {
            var producer = message.Namespace!.Split('.')[^1].ToLowerInvariant();
            var publishers = producer == "bus" ? PlatformBus.Services.Keys : [producer];
            Assert.All(publishers, p => Assert.Contains(names.MessageName(message), PlatformBus.Services[p].Publishes));
        }
        Assert.Contains(Platform.ServiceDefaults.PlatformTopology.HistoryEcsEvents, PlatformBus.Services["ingest"].SendsTo);
    }

    [Fact]
    public void The_small_variant_runs_on_SQS_and_SNS_when_asked_and_a_bus_that_does_not_fit_the_variant_is_named()
    {
        var context = Context("small");
        context["bus"] = "sqs";
        var (_, template) = Synth(context);
        var container = Assert.Single(Resources(template, "AWS::ECS::TaskDefinition"))["Properties"]!["ContainerDefinitions"]![0]!;
        Assert.Contains(container["Environment"]!.AsArray(), e => e!["Name"]!.GetValue<string>() == "Bus__Transport" && e["Value"]!.GetValue<string>() == "AmazonSqs");
        Assert.Empty(Resources(template, "AWS::AmazonMQ::Broker"));

        context["bus"] = "rabbitmq";
        Assert.Contains("'bus'", Assert.Throws<ArgumentException>(() => Synth(context)).Message);
        var full = Context();
        full["bus"] = "inmemory";
        Assert.Contains("'bus'", Assert.Throws<ArgumentException>(() => Synth(full)).Message);
    }

    [Fact]
    public void Tasks_are_ARM64_and_small_the_database_is_a_micro_with_20_GB_gp3_and_Container_Insights_is_off()
    {
        var (_, template) = Synth(Context());

        var tasks = Resources(template, "AWS::ECS::TaskDefinition").Select(t => t["Properties"]!).ToList();
        Assert.All(tasks, t => Assert.Equal("ARM64", t["RuntimePlatform"]!["CpuArchitecture"]!.GetValue<string>()));
        // The measured peak memory (BENCHMARKS: history about 300 MB, the others under 210 MB) with headroom.
        Assert.Equal([1024, 512, 512, 512, 512], tasks.Select(t => int.Parse(t["Memory"]!.GetValue<string>())).OrderDescending());
        Assert.All(tasks, t => Assert.Equal("256", t["Cpu"]!.GetValue<string>()));
        var db = Assert.Single(Resources(template, "AWS::RDS::DBInstance"))["Properties"]!;
        Assert.Equal("db.t4g.micro", db["DBInstanceClass"]!.GetValue<string>());
        Assert.Equal("20", db["AllocatedStorage"]!.GetValue<string>());
        Assert.Equal("gp3", db["StorageType"]!.GetValue<string>());
        Assert.DoesNotContain(Resources(template, "AWS::ECS::Cluster").Select(c => c["Properties"]!["ClusterSettings"]?.ToJsonString() ?? ""), c => c.Contains("\"enabled\""));

        var context = Context();
        context["architecture"] = "x86_64";
        context["databaseInstanceClass"] = "db.t4g.small";
        context["databaseStorageGb"] = "50";
        var (_, larger) = Synth(context);
        Assert.All(Resources(larger, "AWS::ECS::TaskDefinition"), t => Assert.Equal("X86_64", t["Properties"]!["RuntimePlatform"]!["CpuArchitecture"]!.GetValue<string>()));
        Assert.Equal("db.t4g.small", Assert.Single(Resources(larger, "AWS::RDS::DBInstance"))["Properties"]!["DBInstanceClass"]!.GetValue<string>());
        context["architecture"] = "sparc";
        Assert.Contains("'architecture'", Assert.Throws<ArgumentException>(() => Synth(context)).Message);
    }

    [Fact]
    public void With_subnets_public_the_tasks_get_public_addresses_no_NAT_gateway_and_the_database_stays_isolated()
    {
        var context = Context();
        context["subnets"] = "public";
        var (_, template) = Synth(context);

        Assert.Empty(Resources(template, "AWS::EC2::NatGateway"));
        Assert.All(Resources(template, "AWS::ECS::Service"), s =>
            Assert.Equal("ENABLED", s["Properties"]!["NetworkConfiguration"]!["AwsvpcConfiguration"]!["AssignPublicIp"]!.GetValue<string>()));
        // No inbound rule from anywhere: the services' group admits only itself.
        Assert.DoesNotContain(Resources(template, "AWS::EC2::SecurityGroupIngress").Concat(Resources(template, "AWS::EC2::SecurityGroup")),
            g => g.ToJsonString().Contains("0.0.0.0/0\",\"FromPort", StringComparison.Ordinal) || g["Properties"]?["CidrIp"]?.GetValue<string>() == "0.0.0.0/0");
        Assert.Single(Resources(template, "AWS::RDS::DBSubnetGroup"));
        var (_, created) = Synth(Context());
        Assert.Single(Resources(created, "AWS::EC2::NatGateway"));
    }

    [Fact]
    public void A_heartbeat_URL_reaches_every_service_with_its_own_name()
    {
        var context = Context();
        context["heartbeatUrl"] = "https://hc-ping.com/abc123/platform-{service}";
        var (_, template) = Synth(context);

        var beats = Resources(template, "AWS::ECS::TaskDefinition").Select(t => t["Properties"]!["ContainerDefinitions"]![0]!)
            .Select(c => c!["Environment"]!.AsArray().Single(e => e!["Name"]!.GetValue<string>() == "Heartbeat__Url")!["Value"]!.GetValue<string>()).Order();
        Assert.Equal(new[] { "digest", "history", "ingest", "notifier", "retry" }.Select(s => $"https://hc-ping.com/abc123/platform-{s}"), beats);
        context["heartbeatUrl"] = "http://hc-ping.com/x";
        Assert.Contains("heartbeatUrl", Assert.Throws<ArgumentException>(() => Synth(context)).Message);
    }
}
