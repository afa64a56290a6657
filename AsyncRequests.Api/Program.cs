using AsyncRequests.Api;
using AsyncRequests.Api.Requests;
using AsyncRequests.Api.RequestTypes;
using AsyncRequests.Requests;
using Scalar.AspNetCore;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddRequestStore();
builder.AddRequestQueue();
builder.AddRequestsApi();
builder.AddOutboxRelay();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseDefaultFiles();
app.UseStaticFiles();

app.MapOpenApi();
if (app.Environment.IsDevelopment())
{
    app.MapScalarApiReference();
}

app.MapDefaultEndpoints();
app.MapRequestsApi();
app.MapRequestTypesApi();

await app.MigrateRequestStoreIfConfiguredAsync();
await app.RunAsync();
