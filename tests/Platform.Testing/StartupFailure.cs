namespace Platform.Testing;

/// <summary>What stopped an app at start, as its own error.</summary>
public static class StartupFailure
{
    /// <summary>
    /// Starts the app (<paramref name="start"/>, e.g. reading a WebApplicationFactory's <c>Server</c>) and returns the
    /// exception that stopped it, or null when it started. WebApplicationFactory lets the app's entry point start the host
    /// and then asks that host for its lifetime: an app that fails at start fast enough has disposed the host by then, and
    /// the factory reports <see cref="ObjectDisposedException"/> instead of the app's error. That is the harness's race,
    /// not the app's behaviour, so the app is started afresh (at most 5 times) until its own error is seen.
    /// </summary>
    public static Exception? Of<TApp>(Func<TApp> create, Func<TApp, object> start) where TApp : IDisposable
    {
        for (var attempt = 1; ; attempt++)
        {
            using var app = create();
            try
            {
                start(app);
                return null;
            }
            catch (ObjectDisposedException) when (attempt < 5)
            {
            }
            catch (Exception e)
            {
                return e;
            }
        }
    }
}
