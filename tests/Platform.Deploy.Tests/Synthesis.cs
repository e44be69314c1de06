using Xunit;

namespace Platform.Deploy.Tests;

/// <summary>The jsii runtime that synthesizes CDK apps serves one caller at a time: test classes that synthesize share this collection.</summary>
[CollectionDefinition(Collection)]
public sealed class Synthesis
{
    public const string Collection = "cdk synthesis";
}
