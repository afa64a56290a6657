using AsyncRequests.Api;
using AsyncRequests.Api.Admin;
using AsyncRequests.Api.Retention;
using AsyncRequests.Api.Requests;
using AsyncRequests.Requests;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddRequestStore();
builder.AddRequestQueue();
builder.AddRequestsApi();
builder.AddOutboxRelay();
builder.AddAdminApi();
builder.AddRetention();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseDefaultFiles();
app.UseStaticFiles();

app.MapOpenApi();
app.MapDefaultEndpoints();
app.MapRequestsApi();
app.MapAdminApi();

await app.MigrateRequestStoreIfConfiguredAsync();
await app.RunAsync();
