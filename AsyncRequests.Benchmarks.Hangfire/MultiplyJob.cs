namespace AsyncRequests.Benchmarks.Hangfire;

/// <summary>The work of AsyncRequests' multiply handler; Hangfire stores the returned product with the job's Succeeded state.</summary>
public sealed class MultiplyJob
{
    public double Run(double num1, double num2) => num1 * num2;
}
