using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.CDK;
using Amazon.CDK.Assertions;
using Platform.Cdk;
using Platform.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Platform.Deploy.Tests;

/// <summary>
/// What a month of the synthesized stack costs at us-east-1 list prices, read off the template (each task's size and
/// CPU, the database's class and storage, every secret, alarm, public address and NAT gateway), held to the targets:
/// in an existing VPC the small variant at most $25, the full one at most $70. Usage (logs ingested, requests beyond the
/// free tiers, data transfer) is not in the template and not counted; at the platform's volumes it is cents.
/// </summary>
[Collection(Synthesis.Collection)]
public class CostTests(ITestOutputHelper output)
{
    private const double HoursPerMonth = 730;

    /// <summary>
    /// us-east-1 list prices, as AWS's pricing pages gave them on 2026-03-01 (unchanged since 2024): Fargate Linux/ARM
    /// $0.03238 per vCPU-hour and $0.00356 per GB-hour, Linux/x86 $0.04048 and $0.004445; RDS for PostgreSQL single-AZ
    /// db.t4g.micro $0.016 an hour, db.t4g.small $0.032, gp3 storage $0.115 per GB-month; Secrets Manager $0.40 per
    /// secret-month; a standard-resolution CloudWatch alarm $0.10 a month; a NAT gateway $0.045 an hour; a public IPv4
    /// address $0.005 an hour; a Cloud Map namespace's private hosted zone $0.50 a month and $0.10 per registered instance.
    /// </summary>
    private static class Price
    {
        public static double Fargate(bool arm, double vcpu, double gb) => (arm ? 0.03238 * vcpu + 0.00356 * gb : 0.04048 * vcpu + 0.004445 * gb) * HoursPerMonth;
        public static readonly Dictionary<string, double> DatabaseHour = new() { ["db.t4g.micro"] = 0.016, ["db.t4g.small"] = 0.032 };
        public const double StorageGbMonth = 0.115, Secret = 0.40, Alarm = 0.10, NatHour = 0.045, PublicIpHour = 0.005, Namespace = 0.50, Instance = 0.10;
    }

    private static JsonObject Synth(string variant, Dictionary<string, object>? more = null)
    {
        var jsii = Path.Combine(AppContext.BaseDirectory, "jsii");
        Directory.CreateDirectory(jsii);
        System.Environment.SetEnvironmentVariable("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20");
        System.Environment.SetEnvironmentVariable("JSII_RUNTIME_PACKAGE_CACHE_ROOT", jsii);
        System.Environment.SetEnvironmentVariable("TMPDIR", jsii);
        var context = new Dictionary<string, object>
        {
            ["account"] = "123456789012", ["region"] = "us-east-1", ["variant"] = variant, ["monitoredClusters"] = "batch",
            ["imageRegistry"] = "123456789012.dkr.ecr.us-east-1.amazonaws.com", ["vpcId"] = "vpc-0abc",
            ["availabilityZones"] = "us-east-1a,us-east-1b", ["privateSubnetIds"] = "subnet-01,subnet-02",
            ["platformConfigFile"] = Path.Combine(RepositoryPaths.Root, "deploy", "local", "demo", "platform.yaml"),
        };
        foreach (var (key, value) in more ?? [])
            context[key] = value;
        var app = new App(new AppProps { Outdir = Path.Combine(AppContext.BaseDirectory, "cdk.out", Guid.NewGuid().ToString("N")), Context = context });
        return JsonSerializer.SerializeToNode(Template.FromStack(PlatformSettings.FromContext(app).AddStacks(app)).ToJSON())!.AsObject();
    }

    /// <summary>Each priced item of the template and its monthly cost; a resource type that costs by the hour and is not priced here fails.</summary>
    public static List<(string Item, double Dollars)> MonthlyCost(JsonObject template)
    {
        var items = new List<(string, double)>();
        var resources = template["Resources"]!.AsObject().Select(r => (Id: r.Key, Type: r.Value!["Type"]!.GetValue<string>(), Properties: r.Value["Properties"])).ToList();
        foreach (var (id, type, properties) in resources)
        {
            switch (type)
            {
                case "AWS::ECS::TaskDefinition":
                    var arm = properties!["RuntimePlatform"]?["CpuArchitecture"]?.GetValue<string>() == "ARM64";
                    var vcpu = double.Parse(properties["Cpu"]!.GetValue<string>()) / 1024;
                    var gb = double.Parse(properties["Memory"]!.GetValue<string>()) / 1024;
                    items.Add(($"{id}: Fargate {(arm ? "ARM64" : "x86")} {vcpu} vCPU {gb} GB", Price.Fargate(arm, vcpu, gb)));
                    break;
                case "AWS::ECS::Service":
                    if (properties!["NetworkConfiguration"]?["AwsvpcConfiguration"]?["AssignPublicIp"]?.GetValue<string>() == "ENABLED")
                        items.Add(($"{id}: public IPv4 address", Price.PublicIpHour * HoursPerMonth));
                    break;
                case "AWS::RDS::DBInstance":
                    var instanceClass = properties!["DBInstanceClass"]!.GetValue<string>();
                    if (properties["MultiAZ"]?.GetValue<bool>() == true)
                        throw new InvalidOperationException("Multi-AZ is not priced here.");
                    items.Add(($"{id}: RDS {instanceClass}", Price.DatabaseHour[instanceClass] * HoursPerMonth));
                    items.Add(($"{id}: {properties["AllocatedStorage"]} GB {properties["StorageType"]}", double.Parse(properties["AllocatedStorage"]!.GetValue<string>()) * Price.StorageGbMonth));
                    break;
                case "AWS::SecretsManager::Secret":
                    items.Add(($"{id}: secret", Price.Secret));
                    break;
                case "AWS::CloudWatch::Alarm":
                    items.Add(($"{id}: alarm", Price.Alarm * Math.Max(1, properties!["Metrics"]?.AsArray().Count(m => m!["MetricStat"] is not null) ?? 1)));
                    break;
                case "AWS::EC2::NatGateway":
                    items.Add(($"{id}: NAT gateway", Price.NatHour * HoursPerMonth));
                    break;
                case "AWS::EC2::EIP":
                    items.Add(($"{id}: public IPv4 address", Price.PublicIpHour * HoursPerMonth));
                    break;
                case "AWS::ServiceDiscovery::PrivateDnsNamespace":
                    items.Add(($"{id}: Cloud Map namespace", Price.Namespace));
                    break;
                case "AWS::ServiceDiscovery::Service":
                    items.Add(($"{id}: Cloud Map instance", Price.Instance));
                    break;
                case "AWS::SSM::Parameter" when properties!["Tier"]?.GetValue<string>() == "Advanced":
                    items.Add(($"{id}: advanced parameter", 0.05));
                    break;
                case "AWS::AmazonMQ::Broker" or "AWS::EC2::VPCEndpoint" or "AWS::ElasticLoadBalancingV2::LoadBalancer":
                    throw new InvalidOperationException($"{type} costs by the hour and is not priced here.");
            }
        }
        return items;
    }

    [Theory]
    [InlineData("small", 25.0)]
    [InlineData("full", 70.0)]
    public void In_an_existing_VPC_a_month_costs_at_most_the_target(string variant, double target)
    {
        var items = MonthlyCost(Synth(variant));

        var total = items.Sum(i => i.Dollars);
        foreach (var group in items.GroupBy(i => i.Item[(i.Item.IndexOf(':') + 2)..]).OrderByDescending(g => g.Sum(i => i.Dollars)))
            output.WriteLine($"{group.Count(),3} × {group.Key,-40} ${group.Sum(i => i.Dollars),7:F2}");
        output.WriteLine($"{variant}: ${total:F2} a month (target ${target:F0})");
        Assert.True(total <= target, $"{variant}: ${total:F2} a month, over the ${target:F0} target");
        // ARM64 tasks and no NAT gateway: what the targets rest on.
        Assert.All(items.Where(i => i.Item.Contains("Fargate")), i => Assert.Contains("ARM64", i.Item));
        Assert.DoesNotContain(items, i => i.Item.Contains("NAT"));
    }

    [Fact]
    public void Tasks_in_public_subnets_cost_a_public_address_each_instead_of_a_NAT_gateway()
    {
        var created = MonthlyCost(Synth("small", new() { ["vpcId"] = "", ["availabilityZones"] = "", ["privateSubnetIds"] = "" }));
        var open = MonthlyCost(Synth("small", new() { ["vpcId"] = "", ["availabilityZones"] = "", ["privateSubnetIds"] = "", ["subnets"] = "public" }));

        Assert.Single(created, i => i.Item.Contains("NAT gateway"));
        Assert.DoesNotContain(open, i => i.Item.Contains("NAT"));
        Assert.Single(open, i => i.Item.Contains("public IPv4"));
        output.WriteLine($"small, created VPC: private ${created.Sum(i => i.Dollars):F2}, public ${open.Sum(i => i.Dollars):F2}");
        Assert.True(open.Sum(i => i.Dollars) < created.Sum(i => i.Dollars) - 25);
    }
}
