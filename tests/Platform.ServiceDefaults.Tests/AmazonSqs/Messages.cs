namespace Platform.ServiceDefaults.Tests.AmazonSqs;

public sealed record Pinged(Guid Id, string Text);

public sealed record PingSent(Guid Id);
