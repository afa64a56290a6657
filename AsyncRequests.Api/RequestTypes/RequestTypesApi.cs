using AsyncRequests.Requests.RequestTypes;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AsyncRequests.Api.RequestTypes;

public static class RequestTypesApi
{
    public static IEndpointRouteBuilder MapRequestTypesApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/request-types").WithTags("Request types")
            .MapGet("/", ListRequestTypes)
            .WithName("ListRequestTypes")
            .WithSummary("Every request type with a description, the JSON Schema of its input and an example input.");
        return app;
    }

    private static Ok<IReadOnlyList<RequestTypeDescription>> ListRequestTypes() => TypedResults.Ok(RequestInputSchemas.All);
}
