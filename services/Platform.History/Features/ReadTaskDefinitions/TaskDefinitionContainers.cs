namespace Platform.History.Features.ReadTaskDefinitions;

/// <summary>
/// The containers of one task definition revision, as <c>DescribeTaskDefinition</c> gave them (id: the revision's ARN).
/// A revision never changes, so it is read once and kept.
/// </summary>
public sealed record TaskDefinitionContainers(string Id, IReadOnlyList<string> Essential, IReadOnlyList<string> NonEssential, DateTimeOffset ReadAt);
