namespace Platform.Bus.Tests;

public sealed record Pinged(Guid Id, string Text);

public sealed record PingSent(Guid Id);
