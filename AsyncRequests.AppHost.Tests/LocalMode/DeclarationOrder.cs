using Xunit.Sdk;
using Xunit.v3;

namespace AsyncRequests.AppHost.Tests.LocalMode;

/// <summary>Runs a class's tests in the order they are declared, for tests that share one running app.</summary>
public sealed class DeclarationOrder : ITestCaseOrderer
{
    public IReadOnlyCollection<TTestCase> OrderTestCases<TTestCase>(IReadOnlyCollection<TTestCase> testCases)
        where TTestCase : notnull, ITestCase =>
        [.. testCases.OrderBy(testCase => testCase is IXunitTestCase xunit ? xunit.TestMethod.Method.MetadataToken : 0)];
}
