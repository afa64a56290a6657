using AsyncRequests.Api;
using AsyncRequests.Api.Admin;
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
builder.AddAdminApi();
builder.AddRetention();
builder.AddWebhooks();
builder.AddWebhookDelivery();

var app = builder.Build();

app.UseSecurityHeaders();
app.UseExceptionHandler();
app.UseStatusCodePages();
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
