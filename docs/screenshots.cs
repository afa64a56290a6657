#:package Microsoft.Playwright
#:property PublishAot=false

// Takes the README's dashboard pictures from a running AppHost in local mode:
//   dotnet run docs/screenshots.cs -- <dashboard login URL, as the AppHost prints it> [api URL]
// It submits one multiply request, waits for it to finish, and shoots the resource list and that request's trace
// with the machine's Chromium (CHROMIUM_PATH, else Debian's), writing docs/dashboard-*.png.
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;

var loginUrl = new Uri(args[0]);
var api = new HttpClient { BaseAddress = new Uri(args.Length > 1 ? args[1] : "http://localhost:5080") };
var output = Path.GetDirectoryName(Path.GetFullPath(AppContext.GetData("EntryPointFilePath") as string ?? "docs/x"))!;

using var submitted = await api.PostAsJsonAsync("/requests", new { type = "multiply", input = new { num1 = 6, num2 = 7, delayMs = 1500 } });
submitted.EnsureSuccessStatusCode();
var location = submitted.Headers.Location!;
JsonNode request;
do
{
    await Task.Delay(500);
    request = (await api.GetFromJsonAsync<JsonNode>(location))!;
}
while (request["status"]!.GetValue<string>() is "pending" or "processing");
var traceId = request["traceId"]!.GetValue<string>();

using var playwright = await Playwright.CreateAsync();
var chromium = Environment.GetEnvironmentVariable("CHROMIUM_PATH")
    ?? new[] { "/usr/lib/chromium/chromium", "/usr/bin/chromium" }.First(File.Exists);
await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = chromium, Headless = true });
var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1280, Height = 600 } });

// The login URL sets the dashboard's cookie and opens the resource list. The dashboard is a Blazor Server app:
// wait for the rows its live connection renders, not for the page load.
await page.GotoAsync(loginUrl.ToString());
foreach (var state in new[] { "Finished", "Running" })
{
    await page.GetByRole(AriaRole.Gridcell).Filter(new() { HasText = state }).First.WaitForAsync();
}
await page.ScreenshotAsync(new() { Path = Path.Combine(output, "dashboard-resources.png") });

// Traces (and their spans) arrive over OTLP a second or so after the request finished.
var detail = new Uri(loginUrl, $"/traces/detail/{traceId}");
await page.GotoAsync(detail.ToString());
await page.GetByText("handle multiply").First.WaitForAsync(new() { Timeout = 30_000 });
await page.ScreenshotAsync(new() { Path = Path.Combine(output, "dashboard-trace.png") });

Console.WriteLine($"Wrote the resource list and trace {traceId} to {output}");

