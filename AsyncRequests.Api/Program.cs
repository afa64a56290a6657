using AsyncRequests.Api;
using AsyncRequests.Api.Requests;
using AsyncRequests.Requests;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddRequestStore();
builder.AddRequestQueue();
builder.AddRequestsApi();
builder.AddOutboxRelay();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseRateLimiter();
app.UseDefaultFiles();
app.UseStaticFiles();

app.MapOpenApi();
app.MapDefaultEndpoints();
app.MapRequestsApi();

await app.MigrateRequestStoreIfConfiguredAsync();
await app.RunAsync();
