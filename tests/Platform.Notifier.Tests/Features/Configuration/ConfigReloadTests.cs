using Platform.Testing;
using Xunit;

namespace Platform.Notifier.Tests.Features.Configuration;

[Collection(NotifierCollection.Name)]
public class ConfigReloadTests(PostgresFixture postgres) : NotifierTestBase(postgres)
{
    [Fact]
    public async Task An_edited_config_file_takes_effect_and_a_broken_edit_keeps_the_last_good_one()
    {
        var original = await File.ReadAllTextAsync(ConfigFile);
        await File.WriteAllTextAsync(ConfigFile, "routes: [ {name: broken");
        await Task.Delay(TimeSpan.FromSeconds(5));
        await App.PublishAsync(NotifierApp.Failed("image-resize", Day.AddHours(1)));
        Assert.Contains("/B000DEFAULT/", (await WaitForPostsAsync(1))[0].Path);

        // Route image-* to the data team from now on.
        await File.WriteAllTextAsync(ConfigFile, original.Replace("jobs: [\"etl-*\", \"nightly-report\"]", "jobs: [\"etl-*\", \"image-*\"]"));
        await Eventually.Get(async () =>
        {
            await App.PublishAsync(NotifierApp.Failed("image-thumbnails", DateTimeOffset.UtcNow));
            await Task.Delay(1_500);
            return Slack.Posts;
        }, posts => posts.Any(p => p.Path.Contains("/B000DATA/") && p.Text.Contains("image-thumbnails")), TimeSpan.FromSeconds(40), "the reloaded route");
    }
}
