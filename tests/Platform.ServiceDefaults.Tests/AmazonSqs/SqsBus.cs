using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.AmazonSqs;

namespace Platform.ServiceDefaults.Tests.AmazonSqs;

/// <summary>
/// A host with the platform's bus on the SQS/SNS emulator (fauxqs, which <c>.ci/run</c> starts; PLATFORM_TEST_SQS_URL),
/// its queues and topics under a prefix of its own, so tests never share an entity.
/// </summary>
public sealed class SqsBus : IAsyncDisposable
{
    public static readonly string ServiceUrl = Environment.GetEnvironmentVariable("PLATFORM_TEST_SQS_URL") ?? "http://127.0.0.1:4566";
    private readonly IHost host;

    private SqsBus(IHost host, string prefix)
    {
        this.host = host;
        Prefix = prefix;
    }

    public string Prefix { get; }

    public IServiceProvider Services => host.Services;

    public IBus Bus => host.Services.GetRequiredService<IBus>();

    public SqsRequestCounter Requests => host.Services.GetRequiredService<SqsRequestCounter>();

    /// <summary>A started host whose bus has the consumers <paramref name="register"/> adds.</summary>
    /// <param name="subscriptions">Which endpoint takes which published message type (the platform's own otherwise).</param>
    public static async Task<SqsBus> StartAsync(Action<IBusRegistrationConfigurator> register, string? prefix = null,
        Dictionary<string, string?>? settings = null, IEnumerable<(Type Message, string Queue)>? subscriptions = null)
    {
        Environment.SetEnvironmentVariable("AWS_EC2_METADATA_DISABLED", "true");
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", "test");
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", "test");
        prefix ??= "t" + Guid.NewGuid().ToString("N")[..8] + "-";
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Bus:Transport"] = "AmazonSqs",
            ["Bus:AmazonSqs:ServiceUrl"] = ServiceUrl,
            ["Bus:AmazonSqs:Prefix"] = prefix,
            ["Bus:AmazonSqs:WaitTimeSeconds"] = "1",
            ["Bus:RetryIntervals:0"] = "00:00:00.050",
        });
        if (settings is not null)
            builder.Configuration.AddInMemoryCollection(settings);
        builder.AddBusConsumers(register);
        if (subscriptions is not null)
            builder.Services.AddAmazonSqsConnection(subscriptions);
        builder.AddPlatformBus();
        // Started means every endpoint declared its queue and subscriptions: a test publishes only then.
        builder.Services.Configure<MassTransitHostOptions>(o => o.WaitUntilStarted = true);
        var host = builder.Build();
        await host.StartAsync();
        return new SqsBus(host, prefix);
    }

    /// <summary>A client of the emulator, for what the tests read beside the bus.</summary>
    public static AmazonSQSClient Client() =>
        new(new BasicAWSCredentials("test", "test"), new AmazonSQSConfig { ServiceURL = ServiceUrl, AuthenticationRegion = "us-east-1" });

    /// <summary>The messages waiting in a queue (by its full name), read and left there (visibility 0).</summary>
    public static async Task<List<Message>> PeekAsync(string queueName)
    {
        using var sqs = Client();
        var url = (await sqs.GetQueueUrlAsync(queueName)).QueueUrl;
        var answer = await sqs.ReceiveMessageAsync(new ReceiveMessageRequest
        {
            QueueUrl = url, MaxNumberOfMessages = 10, VisibilityTimeout = 0, WaitTimeSeconds = 0, MessageAttributeNames = ["All"],
        });
        return answer.Messages ?? [];
    }

    public async ValueTask DisposeAsync()
    {
        await host.StopAsync();
        host.Dispose();
    }
}
