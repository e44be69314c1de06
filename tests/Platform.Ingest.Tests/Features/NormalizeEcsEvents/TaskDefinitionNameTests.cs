using Platform.Ingest.Features.NormalizeEcsEvents;
using Xunit;

namespace Platform.Ingest.Tests.Features.NormalizeEcsEvents;

public class TaskDefinitionNameTests
{
    [Theory]
    [InlineData("arn:aws:ecs:eu-west-1:123456789012:task-definition/nightly-report:7", "nightly-report", 7)]
    [InlineData("nightly-report:12", "nightly-report", 12)]
    [InlineData("nightly-report", "nightly-report", null)]
    [InlineData("arn:aws:ecs:eu-west-1:123456789012:task-definition/etl-orders", "etl-orders", null)]
    public void Family_and_revision_are_read_from_every_form_of_name(string name, string family, int? revision)
    {
        Assert.Equal((family, revision), TaskDefinitionName.Parse(name));
    }
}
