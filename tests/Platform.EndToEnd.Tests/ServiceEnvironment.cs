using Platform.Testing;

namespace Platform.EndToEnd.Tests;

/// <summary>The environment of a service process in a test over RabbitMQ: the test's PostgreSQL and virtual host, then its own settings.</summary>
internal static class ServiceEnvironment
{
    public static Dictionary<string, string> OverRabbitMq(PostgresFixture postgres, RabbitMqVirtualHost vhost, params (string Key, string Value)[] settings)
    {
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Postgres"] = postgres.ConnectionString,
            ["ConnectionStrings__RabbitMq"] = vhost.Uri,
            ["Bus__Transport"] = "RabbitMq",
        };
        foreach (var (key, value) in settings)
            environment[key] = value;
        return environment;
    }
}
