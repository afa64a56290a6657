using System.Text.Json;
using AsyncRequests.Api.Clients;

namespace AsyncRequests.Api.Admin;

/// <summary>Reads and checks the body of <c>PUT /admin/clients/{id}/limits</c>, naming the field at fault.</summary>
public static class ClientLimitsBody
{
    private const string RequestsPerSecondField = "requestsPerSecond";
    private const string BurstField = "burst";
    private const string MaxPendingRequestsField = "maxPendingRequests";

    public static async Task<(ClientLimitOverrides? Limits, Dictionary<string, string[]>? Errors)> ReadAsync(
        HttpRequest http, CancellationToken cancellationToken)
    {
        if (!http.HasJsonContentType())
        {
            return (null, Error("body", "Send JSON {\"requestsPerSecond\": n, \"burst\": n, \"maxPendingRequests\": n}; null or absent: the default."));
        }

        ClientLimitOverrides? limits;
        try
        {
            limits = await http.ReadFromJsonAsync<ClientLimitOverrides>(cancellationToken);
        }
        catch (JsonException exception)
        {
            // Name the field only when it is one of ours: never reflect arbitrary text into an answer.
            var path = exception.Path?.TrimStart('$', '.');
            var field = path is RequestsPerSecondField or BurstField or MaxPendingRequestsField ? path : "body";
            return (null, Error(field, "Must be a whole number or null."));
        }

        if (limits is null)
        {
            return (null, Error("body", "Send a JSON object."));
        }

        var errors = new Dictionary<string, string[]>();
        Check(errors, RequestsPerSecondField, limits.RequestsPerSecond, ClientOptions.MaxRequestsPerSecond);
        Check(errors, BurstField, limits.Burst, ClientOptions.MaxBurst);
        Check(errors, MaxPendingRequestsField, limits.MaxPendingRequests, ClientOptions.MaxPendingRequestsCap);
        return errors.Count == 0 ? (limits, null) : (null, errors);
    }

    private static void Check(Dictionary<string, string[]> errors, string field, int? value, int max)
    {
        if (value is < 0 || value > max)
        {
            errors[field] = [$"Must be null (the default), 0 (no limit) or up to {max}."];
        }
    }

    private static Dictionary<string, string[]> Error(string field, string message) => new() { [field] = [message] };
}
