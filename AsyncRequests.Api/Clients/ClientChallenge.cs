namespace AsyncRequests.Api.Clients;

/// <summary>The answer to a request route called without valid client credentials, whichever scheme refused them.</summary>
public static class ClientChallenge
{
    public static async Task WriteAsync(HttpContext http)
    {
        http.Response.StatusCode = StatusCodes.Status401Unauthorized;
        http.Response.Headers.WWWAuthenticate = "Bearer";
        await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails =
            {
                Status = StatusCodes.Status401Unauthorized,
                Title = "Unauthorized",
                Detail = "Send valid client credentials: Authorization: Bearer <client key or token>. Revoked keys and disabled clients are refused.",
            },
        });
    }
}
