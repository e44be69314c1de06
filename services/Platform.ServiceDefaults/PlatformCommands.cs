using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Platform.ServiceDefaults;

/// <summary>
/// A command a module offers beside its web host, e.g. <c>rebuild</c> or <c>import</c>.
/// <paramref name="StartsHost"/>: whether the command needs the hosted services (the bus) running.
/// </summary>
public sealed record PlatformCommand(string Name, bool StartsHost, Func<IServiceProvider, Command> Create);

public static class PlatformCommands
{
    public static IServiceCollection AddPlatformCommand(this IServiceCollection services, string name, bool startsHost, Func<IServiceProvider, Command> create) =>
        services.AddSingleton(new PlatformCommand(name, startsHost, create));

    /// <summary>Runs a module's command when the first argument names one; otherwise runs the web host.</summary>
    public static async Task<int> RunPlatformAsync(this WebApplication app, string[] args)
    {
        var commands = app.Services.GetServices<PlatformCommand>().ToList();
        var chosen = args.Length > 0 ? commands.FirstOrDefault(c => c.Name == args[0]) : null;
        if (chosen is null)
        {
            await app.RunAsync();
            return 0;
        }

        var root = new RootCommand(app.Environment.ApplicationName);
        foreach (var command in commands)
            root.Subcommands.Add(command.Create(app.Services));

        if (!chosen.StartsHost)
            return await root.Parse(args).InvokeAsync();

        // The command needs the bus, not the HTTP listener: keep the listener off any port in use.
        app.Urls.Clear();
        app.Urls.Add("http://127.0.0.1:0");
        await app.StartAsync();
        try
        {
            return await root.Parse(args).InvokeAsync();
        }
        finally
        {
            await app.StopAsync();
        }
    }
}
