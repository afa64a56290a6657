using Hangfire;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AsyncRequests.Benchmarks.Hangfire;

/// <summary>The same submit contract as AsyncRequests' <c>POST /requests</c>, for the multiply type only.</summary>
public static class MultiplyApi
{
    public static IEndpointRouteBuilder MapMultiplyApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGroup("/requests").WithTags("Requests").MapPost("/", Submit);
        return endpoints;
    }

    private static Results<Accepted<JobAccepted>, ValidationProblem> Submit(Submission submission, IBackgroundJobClient jobs)
    {
        if (submission is not { Type: "multiply", Input: { Num1: { } num1, Num2: { } num2 } })
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["input"] = ["Only {\"type\": \"multiply\", \"input\": {\"num1\": n, \"num2\": n}} is accepted."],
            });
        }

        var id = jobs.Enqueue<MultiplyJob>(job => job.Run(num1, num2));
        return TypedResults.Accepted($"/jobs/{id}", new JobAccepted(id));
    }

    public sealed record Submission(string? Type, MultiplyInput? Input);

    public sealed record MultiplyInput(double? Num1, double? Num2);

    public sealed record JobAccepted(string Id);
}
