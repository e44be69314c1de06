namespace Platform.Notifier.Features.RenderSlackMessages;

/// <summary>
/// Slack's limits for a message (Block Kit reference: header text 150 characters, section text 3,000, at most 10
/// fields of 2,000 each, at most 50 blocks; chat.postMessage truncates text beyond 40,000, and notifications show
/// far less). A message over them is refused with <c>invalid_blocks</c>, so every message is built within them.
/// </summary>
public static class SlackLimits
{
    public const int HeaderText = 150;
    public const int SectionText = 3_000;
    public const int Fields = 10;
    public const int FieldText = 2_000;
    public const int Blocks = 50;
    public const int Text = 4_000;
}
