using Platform.Testing;
using Xunit;

namespace Platform.Retry.Tests;

/// <summary>
/// The retry service on real PostgreSQL (a schema of its own) with a platform file, and the AWS APIs it calls as one
/// real HTTP server (<see cref="FakeAws"/>).
/// </summary>
public abstract class RetryTestBase(PostgresFixture postgres) : IAsyncLifetime
{
    private readonly string schema = PostgresFixture.NewSchema();
    private readonly string configFile = Path.Combine(Path.GetTempPath(), $"platform-{Guid.NewGuid():N}.yaml");

    protected FakeAws Aws { get; private set; } = null!;

    protected RetryApp App { get; set; } = null!;

    /// <summary>The platform file the service runs with.</summary>
    protected abstract string Config { get; }

    /// <summary>What AWS must know, or how it must answer, before the service starts.</summary>
    protected virtual void Arrange()
    {
    }

    public async Task InitializeAsync()
    {
        Aws = await FakeAws.StartAsync();
        Arrange();
        await File.WriteAllTextAsync(configFile, Config);
        App = Start();
    }

    /// <summary>Starts the service (again, after a test stopped it) on the same schema and file.</summary>
    protected RetryApp Start()
    {
        var started = new RetryApp(postgres, Aws, schema, configFile);
        _ = started.Server;
        return started;
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Aws.DisposeAsync();
        await postgres.DropSchemaAsync(schema);
        File.Delete(configFile);
    }

    protected IReadOnlyList<AwsCall> RunTasks => Aws.Calls.Where(c => c.Target.EndsWith(".RunTask", StringComparison.Ordinal)).ToList();
}
