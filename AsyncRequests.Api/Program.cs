using AsyncRequests.Api;
using AsyncRequests.Api.Admin;
using AsyncRequests.Api.Clients;
using AsyncRequests.Api.Retention;
using AsyncRequests.Api.Requests;
using AsyncRequests.Api.RequestTypes;
using AsyncRequests.Api.Webhooks;
using AsyncRequests.Requests;
using Scalar.AspNetCore;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddRequestStore();
builder.AddRequestStoreMigration();
builder.AddRequestQueue();
builder.AddRequestsApi();
builder.AddOutboxRelay();
builder.AddClientAuthentication();
builder.AddAdminApi();
builder.AddRetention();
builder.AddWebhooks();
builder.AddWebhookDelivery();

var app = builder.Build();

app.UseSecurityHeaders();
app.UseExceptionHandler();
app.UseStatusCodePages();

// Inside the exception handler (a key lookup may find the database down: 503), before the rate limiter (which partitions by client).
app.UseAuthentication();
app.UseAuthorization();
app.UseClientLimits();
app.UseRateLimiter();
app.UseDefaultFiles();
app.UseStaticFiles();

app.MapOpenApi();
if (app.Environment.IsDevelopment())
{
    app.MapScalarApiReference(SecurityHeaders.ApiReferencePath);
}

app.MapDefaultEndpoints();
app.MapRequestTypesApi();
var requestStore = app.MapRequestStoreGroup();
requestStore.MapRequestsApi();
requestStore.MapAdminApi();

await app.RunAsync();
