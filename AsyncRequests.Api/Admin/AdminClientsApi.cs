using System.Text.Json;
using AsyncRequests.Api.Clients;
using AsyncRequests.Requests.RequestTypes;
using AsyncRequests.Requests.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AsyncRequests.Api.Admin;

/// <summary>The client routes of the admin API, <c>/admin/clients</c>.</summary>
public static partial class AdminApi
{
    private static void MapClientsApi(this RouteGroupBuilder admin)
    {
        admin.MapPost("/clients", CreateClientAsync)
            .WithName("AdminCreateClient")
            .WithSummary("Create a client with its first key; the key is shown only in this answer.");
        admin.MapGet("/clients", ListClientsAsync)
            .WithName("AdminListClients")
            .WithSummary("Every client with its keys' ids, prefixes, and created and last-used times.");
        admin.MapOtherMethods("/clients", HttpMethods.Get, HttpMethods.Post);

        admin.MapPost("/clients/{id}/keys", AddKeyAsync)
            .WithName("AdminAddClientKey")
            .WithSummary("Issue another key to a client, to rotate keys; the key is shown only in this answer.");
        admin.MapOtherMethods("/clients/{id}/keys", HttpMethods.Post);

        admin.MapDelete("/clients/{id}/keys/{keyId}", RevokeKeyAsync)
            .WithName("AdminRevokeClientKey")
            .WithSummary("Revoke a key; every Api instance refuses it within Clients:KeyCacheSeconds.");
        admin.MapOtherMethods("/clients/{id}/keys/{keyId}", HttpMethods.Delete);

        admin.MapPost("/clients/{id}/disable", (string id, AdminClients clients, CancellationToken cancellationToken) =>
                SetDisabledAsync(id, true, clients, cancellationToken))
            .WithName("AdminDisableClient")
            .WithSummary("Refuse every key of a client (within Clients:KeyCacheSeconds); its requests stay.");
        admin.MapOtherMethods("/clients/{id}/disable", HttpMethods.Post);

        admin.MapPost("/clients/{id}/enable", (string id, AdminClients clients, CancellationToken cancellationToken) =>
                SetDisabledAsync(id, false, clients, cancellationToken))
            .WithName("AdminEnableClient")
            .WithSummary("Accept a disabled client's keys again.");
        admin.MapOtherMethods("/clients/{id}/enable", HttpMethods.Post);

        admin.MapPut("/clients/{id}/limits", SetLimitsAsync)
            .WithName("AdminSetClientLimits")
            .WithSummary("Replace a client's own rate, burst and pending cap (null: the Clients:* default); every Api instance applies them within Clients:KeyCacheSeconds.");
        admin.MapOtherMethods("/clients/{id}/limits", HttpMethods.Put);
    }

    private static async Task<Results<Created<ClientCreated>, ValidationProblem>> CreateClientAsync(
        HttpRequest http,
        AdminClients clients,
        CancellationToken cancellationToken)
    {
        // Read here rather than bound: binding answers a malformed body with an exception, not a problem naming the field.
        CreateClientBody? body;
        try
        {
            body = http.HasJsonContentType() ? await http.ReadFromJsonAsync<CreateClientBody>(cancellationToken) : null;
        }
        catch (JsonException)
        {
            body = null;
        }

        var name = body?.Name?.Trim();
        if (name is null || name.Length is 0 or > ApiClient.MaxNameLength || StorableText.FindProblem(name) is not null || name.Any(char.IsControl))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["name"] = [$"Send JSON {{\"name\": \"...\"}}: the name must be 1 to {ApiClient.MaxNameLength} printable characters."],
            });
        }

        return TypedResults.Created((string?)null, await clients.CreateAsync(name, cancellationToken));
    }

    private static async Task<Results<Ok<ClientLimitOverrides>, ValidationProblem, ProblemHttpResult>> SetLimitsAsync(
        string id,
        HttpRequest http,
        AdminClients clients,
        CancellationToken cancellationToken)
    {
        if (!ClientKeys.IsWellFormedId(id))
        {
            return ClientNotFound(id);
        }

        var (limits, errors) = await ClientLimitsBody.ReadAsync(http, cancellationToken);
        if (errors is not null)
        {
            return TypedResults.ValidationProblem(errors);
        }

        return await clients.SetLimitsAsync(id, limits!, cancellationToken) ? TypedResults.Ok(limits!) : ClientNotFound(id);
    }

    private static async Task<Ok<List<ClientSummary>>> ListClientsAsync(AdminClients clients, CancellationToken cancellationToken) =>
        TypedResults.Ok(await clients.ListAsync(cancellationToken));

    private static async Task<Results<Created<KeyCreated>, ProblemHttpResult>> AddKeyAsync(
        string id,
        AdminClients clients,
        CancellationToken cancellationToken) =>
        ClientKeys.IsWellFormedId(id) && await clients.AddKeyAsync(id, cancellationToken) is { } key
            ? TypedResults.Created((string?)null, key)
            : ClientNotFound(id);

    private static async Task<Results<NoContent, ProblemHttpResult>> RevokeKeyAsync(
        string id,
        string keyId,
        AdminClients clients,
        CancellationToken cancellationToken) =>
        ClientKeys.IsWellFormedId(id) && ClientKeys.IsWellFormedId(keyId) && await clients.RevokeKeyAsync(id, keyId, cancellationToken)
            ? TypedResults.NoContent()
            : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, detail: "The client has no such key.");

    private static async Task<Results<NoContent, ProblemHttpResult>> SetDisabledAsync(
        string id,
        bool disabled,
        AdminClients clients,
        CancellationToken cancellationToken) =>
        ClientKeys.IsWellFormedId(id) && await clients.SetDisabledAsync(id, disabled, cancellationToken)
            ? TypedResults.NoContent()
            : ClientNotFound(id);

    // The id is echoed only once known to be well formed: never reflect arbitrary text into an answer.
    private static ProblemHttpResult ClientNotFound(string id) =>
        TypedResults.Problem(
            statusCode: StatusCodes.Status404NotFound,
            detail: ClientKeys.IsWellFormedId(id) ? $"There is no client {id}." : "There is no such client.");
}
