namespace Platform.Ingest.Features.NormalizeEcsEvents;

/// <summary>A task definition is named as an ARN, <c>family:revision</c> or a bare family.</summary>
public static class TaskDefinitionName
{
    public static (string Family, int? Revision) Parse(string taskDefinition)
    {
        var name = taskDefinition;
        var slash = name.LastIndexOf('/');
        if (name.StartsWith("arn:", StringComparison.Ordinal) && slash >= 0)
            name = name[(slash + 1)..];
        var colon = name.LastIndexOf(':');
        if (colon > 0 && int.TryParse(name.AsSpan(colon + 1), out var revision))
            return (name[..colon], revision);
        return (name, null);
    }
}
