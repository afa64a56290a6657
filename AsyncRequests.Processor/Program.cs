using AsyncRequests.Processor;
using AsyncRequests.Requests;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddRequestDatabase();
builder.AddRequestQueue();
builder.AddRequestProcessing();

var app = builder.Build();

app.MapDefaultEndpoints();

await app.RunAsync();
