namespace Platform.EcsSimulator;

/// <summary>Starts the simulator inside another process (a test), on a free loopback port.</summary>
public static class EcsSimulatorHost
{
    public static async Task<WebApplication> StartAsync(IDictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddEcsSimulator();
        var app = builder.Build();
        app.MapEcsSimulator();
        await app.StartAsync();
        return app;
    }
}
