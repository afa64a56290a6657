namespace AsyncRequests.Api.Clients;

/// <summary>Finds an authenticated client's limits once per call, before the rate limiter, which cannot wait for the database.</summary>
public static class ClientLimitsMiddleware
{
    /// <summary>After authorization (which names the client), before the rate limiter (which reads its limits).</summary>
    public static IApplicationBuilder UseClientLimits(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            if (context.User.FindFirst(Callers.ClientIdClaim)?.Value is { } clientId)
            {
                var lookup = context.RequestServices.GetRequiredService<ClientKeyLookup>();
                context.Features.Set(await lookup.FindLimitsAsync(clientId, context.RequestAborted));
            }

            await next(context);
        });

    /// <summary>The caller's limits; the request routes require a client, so they are always known there.</summary>
    public static ClientLimits ClientLimits(this HttpContext context) =>
        context.Features.Get<ClientLimits>() ?? throw new InvalidOperationException("The caller's limits are unknown; is UseClientLimits missing?");
}
